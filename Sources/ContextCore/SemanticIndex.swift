package import Foundation
import Synchronization

/// Semantic search: embeds items as they are written and answers nearest-neighbour queries.
///
/// Locally, vectors are kept in the store's `embeddings` table and searched in an in-memory `VectorTable`
/// per kind. With a central `VectorIndex` (ChromaDB), vectors go there and queries are answered there; the
/// store only records which items have a vector by which model (for `memctx reindex`).
///
/// A table is loaded from the store on first use and then kept in step with this process's writes; before
/// each query it also picks up vectors other processes sharing the database wrote since the last look (the
/// store's change cursor). Items purged by another process drop out when the service reads them back and
/// finds nothing.
package final class SemanticIndex: Sendable {
    package let embedder: any Embedder
    private let store: any DocumentStore
    /// The central vector index, when the repository is central.
    package let central: (any VectorIndex)?
    /// With a local copy of a central repository (ContextSync): vectors are kept locally and replicated, and
    /// queries go to the central index while `isOnline` says so (the local table answers otherwise, and when
    /// the central index fails).
    private let remote: (index: any VectorIndex, isOnline: @Sendable () async -> Bool)?
    private let tables: Mutex<[ItemKind: LoadedTable]>
    private let failures = Mutex(0)

    private struct LoadedTable: Sendable {
        var table: VectorTable
        /// The store's change cursor after the last look.
        var cursor: Int64
    }

    package init(
        embedder: any Embedder,
        store: any DocumentStore,
        central: (any VectorIndex)? = nil,
        remote: (index: any VectorIndex, isOnline: @Sendable () async -> Bool)? = nil
    ) {
        self.embedder = embedder
        self.store = store
        self.central = central
        self.remote = remote
        self.tables = Mutex([:])
    }

    package var modelID: String { embedder.modelID }

    /// The text that stands for an item in semantic search (the fields DESIGN.md names per kind).
    package static func text(of item: FoundItem) -> String {
        switch item {
        case .session(let session):
            [session.title, session.contextSummary ?? "", session.description ?? ""].filter { !$0.isEmpty }.joined(separator: "\n")
        case .checkpoint(let checkpoint):
            [checkpoint.description, checkpoint.content ?? ""].filter { !$0.isEmpty }.joined(separator: "\n")
        case .pattern(let pattern):
            [pattern.name, pattern.description ?? "", pattern.template ?? ""].filter { !$0.isEmpty }.joined(separator: "\n")
        }
    }

    /// The query's vector.
    package func vector(for text: String) async throws -> [Float] {
        guard let vector = try await embedder.embed([text]).first, vector.count == embedder.dimension else {
            throw ContextError(.internalFailure, "the embedding model returned no vector")
        }
        return vector
    }

    /// Embeds `items` (already saved) and stores their vectors, in the store and in memory.
    package func index(_ items: [FoundItem], at date: Date) async throws {
        guard !items.isEmpty else { return }
        let vectors = try await embedder.embed(items.map(Self.text(of:)))
        try await record(zip(items, vectors).map { item, vector in embedding(of: item, vector: vector, at: date) })
    }

    /// With a central index, the vectors of `items` (about to be saved), for the store to write with their rows;
    /// nil without one.
    package func centralWrite(of items: [FoundItem], at date: Date) async throws -> VectorWrite? {
        guard let central, !items.isEmpty else { return nil }
        let vectors = try await embedder.embed(items.map(Self.text(of:)))
        guard vectors.count == items.count, vectors.allSatisfy({ $0.count == embedder.dimension }) else {
            throw ContextError(.internalFailure, "the embedding model returned no vector")
        }
        return VectorWrite(zip(items, vectors).map { embedding(of: $0, vector: $1, at: date) }, to: central)
    }

    /// Stores vectors computed beforehand (e.g. the one `savePattern` compared with before merging).
    package func record(_ embeddings: [ItemEmbedding]) async throws {
        let valid = embeddings.filter { $0.vector.count == embedder.dimension && $0.model == embedder.modelID }
        guard !valid.isEmpty else { return }
        if let central {
            // The vector first: the store's record says the item has one.
            try await central.upsert(valid)
            try await store.saveEmbeddings(valid)
            return
        }
        try await store.saveEmbeddings(valid)
        tables.withLock { tables in
            for embedding in valid { tables[embedding.kind]?.table.upsert(embedding) }
        }
    }

    package func embedding(of item: FoundItem, vector: [Float], at date: Date) -> ItemEmbedding {
        switch item {
        case .session(let session):
            ItemEmbedding(
                kind: .session, id: session.id, model: modelID, vector: vector, createdAt: date,
                project: session.project, privacyLevel: session.privacyLevel
            )
        case .checkpoint(let checkpoint):
            ItemEmbedding(
                kind: .checkpoint, id: checkpoint.id, model: modelID, vector: vector, createdAt: date,
                project: checkpoint.project, sessionID: checkpoint.sessionID, privacyLevel: checkpoint.privacyLevel
            )
        case .pattern(let pattern):
            ItemEmbedding(
                kind: .pattern, id: pattern.id, model: modelID, vector: vector, createdAt: date,
                project: pattern.project, patternType: pattern.patternType, privacyLevel: pattern.privacyLevel
            )
        }
    }

    /// Counts a write whose item could not be embedded (reported by `health`; `memctx reindex` repairs it).
    package func noteFailure() { failures.withLock { $0 += 1 } }

    /// Writes since start-up whose item could not be embedded.
    package var failureCount: Int { failures.withLock { $0 } }

    /// Forgets the vectors of these items: the store's record of them first (so `memctx reindex` sees them
    /// as missing if anything after fails), then the central index or this process's table.
    package func forget(_ kind: ItemKind, ids: [ItemID]) async throws {
        guard !ids.isEmpty else { return }
        try await store.deleteEmbeddings(kind, ids: ids)
        if let central {
            try await central.remove(kind, ids: ids)
            return
        }
        forgetInMemory(kind, ids: ids)
    }

    /// Drops vectors from this process's tables only (after the store erased them itself, e.g. a purge).
    package func forgetInMemory(_ kind: ItemKind, ids: [ItemID]) {
        tables.withLock { tables in
            for id in ids { tables[kind]?.table.remove(id) }
        }
    }

    /// The items of `kind` nearest to `vector` under `filter`, best first, with their cosine similarity.
    package func nearest(to vector: [Float], kind: ItemKind, filter: SearchFilter, limit: Int) async throws
        -> [(id: ItemID, score: Float)]
    {
        if let central { return try await central.nearest(to: vector, kind: kind, filter: filter, limit: limit) }
        if let remote, await remote.isOnline(),
            let found = try? await remote.index.nearest(to: vector, kind: kind, filter: filter, limit: limit)
        {
            return found
        }
        try await refresh(kind)
        return tables.withLock { tables in
            tables[kind]?.table.nearest(to: vector, filter: filter, limit: limit) ?? []
        }
    }

    /// The stored vector of an item, if it has one by this model.
    package func storedVector(_ kind: ItemKind, id: ItemID) async throws -> [Float]? {
        if let central { return try await central.vectors(kind, ids: [id])[id] }
        try await refresh(kind)
        if let local = tables.withLock({ $0[kind]?.table.vector(of: id) }) { return local }
        guard let remote, await remote.isOnline() else { return nil }
        return try? await remote.index.vectors(kind, ids: [id])[id]
    }

    /// Loads the table of `kind` on first use; afterwards adds what was written since the last look.
    private func refresh(_ kind: ItemKind) async throws {
        let cursor = tables.withLock { $0[kind]?.cursor } ?? 0
        let fresh = try await store.embeddings(of: kind, model: modelID, after: cursor)
        tables.withLock { tables in
            var loaded = tables[kind] ?? LoadedTable(table: VectorTable(dimension: embedder.dimension), cursor: 0)
            guard fresh.cursor > loaded.cursor else { return }
            for embedding in fresh.embeddings { loaded.table.upsert(embedding) }
            loaded.cursor = fresh.cursor
            tables[kind] = loaded
        }
    }
}
