import CKernels
import Testing

@testable import SentenceEmbedding

/// `memctx_dense_few_rows` (CKernels), the encoder's dense layers for a short query, against the product
/// computed in Double: every row and weight-row tiling (rows 1–7 cover tiles of 3, 2 and 1; outputs not a multiple
/// of 4 cover the single-row tail) and inputs that are not a multiple of 8 (the scalar tail).
@Suite("dense kernel for few rows", .enabled(if: memctx_dense_few_rows_available(), "this CPU lacks AVX2/FMA: the encoder uses OpenBLAS only"))
struct DenseKernelTests {
    @Test(arguments: [(1, 384, 384), (2, 16, 9), (3, 24, 8), (4, 13, 5), (5, 8, 1), (7, 40, 11), (11, 384, 1536), (23, 1536, 384)])
    func addsTheProductToTheOutput(rows: Int, inputs: Int, outputs: Int) {
        var generator = SystemRandomNumberGenerator()
        let a = (0..<rows * inputs).map { _ in Float.random(in: -1...1, using: &generator) }
        let w = (0..<outputs * inputs).map { _ in Float.random(in: -1...1, using: &generator) }
        let start = (0..<rows * outputs).map { _ in Float.random(in: -1...1, using: &generator) }
        var c = start
        a.withUnsafeBufferPointer { a in
            w.withUnsafeBufferPointer { w in
                c.withUnsafeMutableBufferPointer { c in
                    memctx_dense_few_rows(Int32(rows), Int32(inputs), Int32(outputs), a.baseAddress, w.baseAddress, c.baseAddress)
                }
            }
        }
        var worst = 0.0
        for r in 0..<rows {
            for n in 0..<outputs {
                var exact = Double(start[r * outputs + n])
                for k in 0..<inputs { exact += Double(a[r * inputs + k]) * Double(w[n * inputs + k]) }
                // Float32 sums of `inputs` products of magnitude ≤ 1: a few ulps of the sum's size.
                worst = max(worst, abs(Double(c[r * outputs + n]) - exact) / Double(inputs).squareRoot())
            }
        }
        #expect(worst < 1e-5, "largest scaled difference \(worst)")
    }
}
