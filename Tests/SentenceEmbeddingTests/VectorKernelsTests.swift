import Foundation
import Testing

@testable import SentenceEmbedding

@Suite("vector kernels")
struct VectorKernelsTests {
    @Test func vectorisedErfIsAsAccurateAsFloat32() {
        var worst = 0.0
        var x = -7.0
        while x <= 7.0 {
            let lanes = SIMD8<Float>(repeating: Float(x))
            let approximation = Double(VectorKernels.erf(lanes)[0])
            worst = max(worst, abs(approximation - erf(Double(Float(x)))))
            x += 0.000_37
        }
        #expect(worst < 1e-6, "max |erf error| \(worst)")
    }

    @Test func geluHandlesTailsAndUnalignedCounts() {
        let inputs: [Float] = (0..<37).map { Float($0) * 0.5 - 9 }
        var values = inputs
        values.withUnsafeMutableBufferPointer { VectorKernels.gelu($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(inputs, values) {
            let exact = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            #expect(abs(Double(y) - exact) < 1e-5, "gelu(\(x)) = \(y), expected \(exact)")
        }
    }

    @Test func layerNormMatchesItsDefinition() {
        var row: [Float] = [1, 2, 3, 4, 10]
        let weight: [Float] = [1, 1, 1, 1, 2]
        let bias: [Float] = [0, 0, 0, 0, 0.5]
        row.withUnsafeMutableBufferPointer { buffer in
            VectorKernels.layerNorm(buffer.baseAddress!, count: 1, width: 5, weight: weight, bias: bias, epsilon: 1e-12)
        }
        let mean = 4.0
        let deviation = ((9.0 + 4 + 1 + 0 + 36) / 5).squareRoot()
        #expect(abs(Double(row[0]) - (1 - mean) / deviation) < 1e-6)
        #expect(abs(Double(row[4]) - ((10 - mean) / deviation * 2 + 0.5)) < 1e-6)
    }

    @Test func softmaxRowsSumToOne() {
        var rows: [Float] = [1, 2, 3, 1000, 1000, -1000]
        rows.withUnsafeMutableBufferPointer { VectorKernels.softmaxRows($0.baseAddress!, count: 2, width: 3) }
        #expect(abs(rows[0..<3].reduce(0, +) - 1) < 1e-6)
        #expect(abs(rows[3] - 0.5) < 1e-6 && rows[5] == 0)
    }
}
