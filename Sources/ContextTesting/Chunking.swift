/// Ways of splitting a byte stream into reads, to prove framers do not depend on read boundaries.
package enum Chunking: Sendable, CustomStringConvertible {
    case fixed(Int)
    case whole
    /// Random sizes 1…maximum from a seeded generator (reproducible).
    case random(seed: UInt64, maximum: Int)

    /// The chunkings every framer test uses: 1, 2, 7, whole, and several random ones.
    package static let all: [Chunking] =
        [.fixed(1), .fixed(2), .fixed(7), .whole] + (1...5).map { .random(seed: $0, maximum: 97) }

    package func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        switch self {
        case .whole:
            return [bytes[...]]
        case .fixed(let size):
            return stride(from: 0, to: bytes.count, by: size).map { bytes[$0..<min($0 + size, bytes.count)] }
        case .random(let seed, let maximum):
            var generator = SplitMix64(seed: seed)
            var chunks: [ArraySlice<UInt8>] = []
            var index = 0
            while index < bytes.count {
                let size = Int(generator.next() % UInt64(maximum)) + 1
                chunks.append(bytes[index..<min(index + size, bytes.count)])
                index += size
            }
            return chunks
        }
    }

    package var description: String {
        switch self {
        case .fixed(let size): "chunks of \(size)"
        case .whole: "whole"
        case .random(let seed, let maximum): "random chunks ≤ \(maximum) (seed \(seed))"
        }
    }
}

/// A tiny seeded generator, so random chunkings are reproducible.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
