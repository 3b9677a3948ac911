import ContextCore
import Dispatch
package import Foundation
import Synchronization

/// The `Embedder` of the server: `SentenceEmbeddingModel` behind one serial queue of its own.
///
/// The model is loaded on that queue on first need (never in start-up or a handshake: a client that only
/// lists sessions never pays for it), or at once when made with `preload`; every forward pass runs there,
/// one at a time: embedding never occupies the cooperative threads that read
/// requests and answer `health` or `listSessions`, and concurrent writes cannot oversubscribe the two cores
/// (OpenBLAS already spreads one pass over them). One short text (a search's query, or a short item's text)
/// goes ahead of longer work waiting there (`ShortFirstQueue`), and so does loading the model.
package final class SentenceEmbedder: Embedder {
    /// Where the model is: `health` reads it without waiting for the queue.
    package enum State: Sendable, Equatable {
        /// Not needed yet: it loads on the first embedding (about 20 ms).
        case notLoaded
        case loading
        case ready(loadTime: Duration)
        case failed(String)
    }

    package let modelID = SentenceEmbeddingModel.modelID
    package let dimension = 384
    package let directory: URL
    private let queue = ShortFirstQueue(label: "memctx.sentence-embedding")
    /// The most UTF-8 bytes of one text that goes ahead of longer work: a query of a few dozen words (about
    /// 100 word pieces at most, against 256 for the checkpoints it passes).
    static let shortText = 400
    private let loaded = Mutex<Result<SentenceEmbeddingModel, SentenceEmbeddingError>?>(nil)
    private let currentState: Mutex<State>

    /// An embedder for the model in `directory`, loaded on first need, or now in the background with `preload`.
    package init(directory: URL, preload: Bool = false) {
        self.directory = directory
        currentState = Mutex(preload ? .loading : .notLoaded)
        if preload { queue.submit(.short) { _ = self.model() } }
    }

    package var state: State { currentState.withLock { $0 } }

    /// Waits for the model: the loaded model, or why it could not load.
    package func load() async throws(SentenceEmbeddingError) -> SentenceEmbeddingModel {
        let result = await withCheckedContinuation { continuation in
            queue.submit(.short) { continuation.resume(returning: self.model()) }
        }
        return try result.get()
    }

    package func embed(_ texts: [String]) async throws -> [[Float]] {
        let result: Result<[[Float]], SentenceEmbeddingError> = await withCheckedContinuation { continuation in
            let length: ShortFirstQueue.Length = texts.count == 1 && texts[0].utf8.count <= Self.shortText ? .short : .long
            queue.submit(length) { continuation.resume(returning: self.model().map { $0.embed(texts) }) }
        }
        return try result.get()
    }

    /// On `queue` only (the lock only publishes the result to other threads).
    private func model() -> Result<SentenceEmbeddingModel, SentenceEmbeddingError> {
        if let result = loaded.withLock({ $0 }) { return result }
        currentState.withLock { $0 = .loading }
        let start = ContinuousClock.now
        let result: Result<SentenceEmbeddingModel, SentenceEmbeddingError>
        do {
            result = .success(try SentenceEmbeddingModel(directory: directory))
            currentState.withLock { $0 = .ready(loadTime: ContinuousClock.now - start) }
        } catch {
            result = .failure(error)
            currentState.withLock { $0 = .failed(error.message) }
        }
        loaded.withLock { $0 = result }
        return result
    }
}
