/// Turns text into sentence embeddings: all-MiniLM-L6-v2 in production (SentenceEmbedding), a deterministic
/// fake in unit tests.
///
/// - Important: Vectors are L2-normalised and `dimension` long, so cosine similarity is a dot product.
///   Implementations run the work off the caller's thread with bounded concurrency: awaiting `embed` never
///   ties up the cooperative thread pool that serves other requests.
package protocol Embedder: Sendable {
    /// The model's id, stored with every vector (`embeddings.model`); a vector of another model is stale.
    var modelID: String { get }
    var dimension: Int { get }
    /// One vector per text, in order. Long texts are truncated by the model (256 word pieces for MiniLM).
    func embed(_ texts: [String]) async throws -> [[Float]]
}
