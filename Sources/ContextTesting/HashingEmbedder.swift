import ContextCore
import Synchronization

/// A deterministic `Embedder` for unit tests: a bag of lower-cased words hashed (FNV-1a) into `dimension`
/// buckets, L2-normalised. Texts sharing words are similar; no model files needed. Counts its calls and can
/// be told to fail.
package final class HashingEmbedder: Embedder {
    package let modelID: String
    package let dimension: Int
    private let state = Mutex((calls: 0, failing: false))

    package init(modelID: String = "test/hashing", dimension: Int = 64) {
        self.modelID = modelID
        self.dimension = dimension
    }

    package var calls: Int { state.withLock { $0.calls } }
    package func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

    package func embed(_ texts: [String]) async throws -> [[Float]] {
        let failing = state.withLock { state in
            state.calls += 1
            return state.failing
        }
        if failing { throw ContextError(.backendUnavailable, "the test embedder was told to fail") }
        return texts.map(vector)
    }

    package func vector(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            vector[Int(hash % UInt64(dimension))] += 1
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
