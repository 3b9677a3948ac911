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
    /// Deletes the vectors of every checkpoint of a session, found by their session id rather than by the rows
    /// (a purge's last step: it also finds the vector of a save that committed while the purge waited for it).
    func removeCheckpoints(ofSession session: ItemID) async throws
    /// How many vectors of `kind` are stored.
    func count(_ kind: ItemKind) async throws -> Int
}

extension VectorIndex {
    /// Deletes a session's vector and those of its checkpoints, found by session id (whether or not their rows
    /// are still there).
    package func removeVectors(ofSession session: ItemID) async throws {
        try await removeCheckpoints(ofSession: session)
        try await remove(.session, ids: [session])
    }
}

/// Vectors a store writes to the vector index while it writes the rows they go with, committing the rows only
/// once the vectors are in (`DocumentStore.saveCheckpoint(_:creating:audits:rule:vectors:)`).
package struct VectorWrite: Sendable {
    /// Computed beforehand: the checkpoint's, and its new session's when the save may create one.
    package var embeddings: [ItemEmbedding]
    /// Writes vectors to the index (ChromaDB's upsert).
    package var upsert: @Sendable ([ItemEmbedding]) async throws -> Void
    /// Takes vectors out again when their rows were not committed after all.
    package var remove: @Sendable ([ItemEmbedding]) async throws -> Void

    package init(
        embeddings: [ItemEmbedding],
        upsert: @escaping @Sendable ([ItemEmbedding]) async throws -> Void,
        remove: @escaping @Sendable ([ItemEmbedding]) async throws -> Void
    ) {
        self.embeddings = embeddings
        self.upsert = upsert
        self.remove = remove
    }

    /// Writes `embeddings` to `index` (and removes them from it).
    package init(_ embeddings: [ItemEmbedding], to index: any VectorIndex) {
        self.init(
            embeddings: embeddings,
            upsert: { try await index.upsert($0) },
            remove: { embeddings in
                for (kind, ids) in embeddings.idsByKind { try await index.remove(kind, ids: ids) }
            })
    }

    /// The vectors of what a save inserted: the checkpoint's, and its session's when the save created it, with
    /// the project the store gave the checkpoint (a checkpoint joins its session's project).
    package func inserted(_ checkpoint: Checkpoint, createdSession: Session?) -> [ItemEmbedding] {
        embeddings.compactMap { embedding in
            var embedding = embedding
            switch embedding.kind {
            case .checkpoint where embedding.id == checkpoint.id:
                embedding.project = checkpoint.project
                embedding.sessionID = checkpoint.sessionID
            case .session where embedding.id == createdSession?.id:
                embedding.project = createdSession?.project ?? embedding.project
            default:
                return nil
            }
            return embedding
        }
    }

    /// Writes the vectors of what a save inserted, marking a failure as the vector index's.
    package func upsertInserted(_ embeddings: [ItemEmbedding], rowsSaved: Bool) async throws {
        guard !embeddings.isEmpty else { return }
        do {
            try await upsert(embeddings)
        } catch {
            throw VectorWriteFailure(underlying: error, rowsSaved: rowsSaved)
        }
    }
}

/// The vector index failed (or could not be reached) while a store wrote the rows its vectors go with.
/// `underlying` is the index's error; `rowsSaved` says whether the rows were committed all the same (a store
/// that writes one after the other) or not (PostgreSQL: nothing was saved).
package struct VectorWriteFailure: Error, CustomStringConvertible {
    package let underlying: any Error
    package let rowsSaved: Bool

    package init(underlying: any Error, rowsSaved: Bool) {
        self.underlying = underlying
        self.rowsSaved = rowsSaved
    }

    package var description: String { "the vector index failed: \(VectorWriteFailure.message(of: underlying))" }

    /// The message of an error, unwrapping a `VectorWriteFailure`.
    package static func message(of error: any Error) -> String {
        if let failure = error as? VectorWriteFailure { return message(of: failure.underlying) }
        return (error as? ContextError)?.message ?? "\(error)"
    }
}

extension [ItemEmbedding] {
    /// The ids of the items, by kind (kinds without any left out).
    package var idsByKind: [(kind: ItemKind, ids: [ItemID])] {
        ItemKind.allCases.compactMap { kind in
            let ids = filter { $0.kind == kind }.map(\.id)
            return ids.isEmpty ? nil : (kind, ids)
        }
    }
}
