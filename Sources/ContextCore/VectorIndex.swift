/// Where the central repository keeps item vectors for semantic search (ChromaDB); the local repository
/// uses `SemanticIndex` over its own `embeddings` table instead.
///
/// - Important: Vectors are L2-normalised and all of one model and dimension; an index refuses vectors of
///   another dimension with `ContextError.invalidInput`. Upserts are idempotent by item id. Errors are
///   `ContextError` (`backendUnavailable` naming the backend and the cause, never a token or full URL).
package protocol VectorIndex: Sendable {
    /// Inserts or replaces the vectors (by kind and id), with the metadata filters use: project, pattern
    /// type, session id, privacy level.
    func upsert(_ embeddings: [ItemEmbedding]) async throws
    /// The items of `kind` nearest to `vector` under `filter` (project, pattern type, session), best first,
    /// with their cosine similarity.
    func nearest(to vector: [Float], kind: ItemKind, filter: SearchFilter, limit: Int) async throws
        -> [(id: ItemID, score: Float)]
    /// The stored vectors of these items (missing ids are absent from the result).
    func vectors(_ kind: ItemKind, ids: [ItemID]) async throws -> [ItemID: [Float]]
    /// Deletes the vectors of these items (ids that are not there are ignored).
    func remove(_ kind: ItemKind, ids: [ItemID]) async throws
    /// How many vectors of `kind` are stored.
    func count(_ kind: ItemKind) async throws -> Int
}
