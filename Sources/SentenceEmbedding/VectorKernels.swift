#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The element-wise parts of the encoder (LayerNorm, GELU, softmax, bias), written with SIMD vectors so they
/// stay a small share of the time next to the matrix products. Index arithmetic uses `&+`/`&*` so the loops
/// vectorise.
enum VectorKernels {
    /// Rows of `width` floats, each set to `bias` (the starting value of `y = x·Wᵀ + b`).
    static func broadcast(_ bias: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for row in 0..<rows {
            (output + row &* width).update(from: bias, count: width)
        }
    }

    /// `output[i] = residual[i] + bias[i % width]`: the starting value of a dense layer with a residual.
    static func addBias(
        _ bias: UnsafePointer<Float>,
        to residual: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>,
        rows: Int,
        width: Int
    ) {
        for row in 0..<rows {
            let offset = row &* width
            for column in 0..<width {
                output[offset &+ column] = residual[offset &+ column] + bias[column]
            }
        }
    }

    /// LayerNorm over each row in place: `(x − mean) / sqrt(var + eps) · weight + bias`, as PyTorch computes
    /// it (biased variance). Sums are taken in Double so long rows lose nothing to float32 rounding.
    static func layerNorm(
        _ rows: UnsafeMutablePointer<Float>,
        count: Int,
        width: Int,
        weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>,
        epsilon: Float
    ) {
        for row in 0..<count {
            let x = rows + row &* width
            var sum = 0.0
            for i in 0..<width { sum += Double(x[i]) }
            let mean = sum / Double(width)
            var squares = 0.0
            for i in 0..<width {
                let d = Double(x[i]) - mean
                squares += d * d
            }
            let inverse = Float(1 / (squares / Double(width) + Double(epsilon)).squareRoot())
            let mean32 = Float(mean)
            for i in 0..<width {
                x[i] = (x[i] - mean32) * inverse * weight[i] + bias[i]
            }
        }
    }

    /// GELU in its exact form, `0.5·x·(1 + erf(x/√2))`, in place. erf is a rational approximation
    /// (odd degree-13 over even degree-8 polynomial on [−4, 4], ±1 outside; the one Eigen and XLA use) whose
    /// error against the true erf is below 5e-7 — as accurate as float32 `erff` — evaluated 8 lanes at a time
    /// (two SSE registers on the baseline x86-64 target; SIMD16 spills to the stack there and is 5× slower).
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        typealias V = SIMD8<Float>
        let lanes = V.scalarCount
        var index = 0
        let raw = UnsafeMutableRawPointer(values)
        while index &+ lanes <= count {
            let x = raw.loadUnaligned(fromByteOffset: index &* 4, as: V.self)
            raw.storeBytes(of: geluVector(x), toByteOffset: index &* 4, as: V.self)
            index &+= lanes
        }
        if index < count {
            var tail = V(repeating: 0)
            for lane in 0..<(count &- index) { tail[lane] = values[index &+ lane] }
            let result = geluVector(tail)
            for lane in 0..<(count &- index) { values[index &+ lane] = result[lane] }
        }
    }

    @inline(__always)
    static func geluVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let halfSqrt2: Float = 0.707_106_781_186_547_524_4
        return 0.5 * x * (1 + erf(x * halfSqrt2))
    }

    @inline(__always)
    static func erf(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let x = pointwiseMin(pointwiseMax(input, SIMD8(repeating: -4)), SIMD8(repeating: 4))
        let x2 = x * x
        var p = SIMD8<Float>(repeating: -2.726_142_258_013_06e-10)
        p = p * x2 + 2.770_681_424_959_02e-08
        p = p * x2 - 2.101_024_020_825_08e-06
        p = p * x2 - 5.692_506_394_623_46e-05
        p = p * x2 - 7.349_906_303_268_55e-04
        p = p * x2 - 2.954_599_808_540_25e-03
        p = p * x2 - 1.609_603_332_624_15e-02
        p = p * x
        var q = SIMD8<Float>(repeating: -1.456_607_184_649_96e-05)
        q = q * x2 - 2.133_740_552_789_05e-04
        q = q * x2 - 1.682_826_974_382_03e-03
        q = q * x2 - 7.373_329_167_204_68e-03
        q = q * x2 - 1.426_473_905_141_89e-02
        return p / q
    }

    /// Softmax of each row in place (max subtracted first, as every reference does).
    static func softmaxRows(_ rows: UnsafeMutablePointer<Float>, count: Int, width: Int) {
        for row in 0..<count {
            let x = rows + row &* width
            var maximum = -Float.infinity
            for i in 0..<width { maximum = max(maximum, x[i]) }
            var sum: Float = 0
            for i in 0..<width {
                let e = expf(x[i] - maximum)
                x[i] = e
                sum += e
            }
            let inverse = 1 / sum
            for i in 0..<width { x[i] *= inverse }
        }
    }
}
