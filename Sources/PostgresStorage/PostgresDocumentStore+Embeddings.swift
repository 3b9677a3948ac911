package import ContextCore
import Foundation
import PostgresNIO

extension PostgresDocumentStore {
    /// Records that these items have a vector by their model (`embedding_status`); the vectors themselves are
    /// written to ChromaDB by the caller (`VectorIndex`), not here.
    package func saveEmbeddings(_ embeddings: [ItemEmbedding]) async throws {
        guard !embeddings.isEmpty else { return }
        try await withConnection("recording embeddings") { connection in
            try await self.recordEmbeddings(embeddings, touching: nil, on: connection)
        }
    }

    /// Records the vectors (`embedding_status`) and, with `checkpoint`, moves its session to the top of
    /// "recently updated" work, in one statement.
    func recordEmbeddings(_ embeddings: [ItemEmbedding], touching checkpoint: Checkpoint?, on connection: PostgresConnection)
        async throws
    {
        // One row per (kind, id, model): the last one given wins, as a sequence of saves would.
        var latest: [String: ItemEmbedding] = [:]
        for embedding in embeddings {
            latest["\(embedding.kind.rawValue)|\(embedding.id)|\(embedding.model)"] = embedding
        }
        let rows = Array(latest.values)
        try await connection.query(
            """
            WITH touched AS (
                UPDATE sessions SET updated_at = greatest(updated_at, \(checkpoint.map { PostgresTime($0.createdAt) })::timestamptz)
                WHERE id = \(checkpoint?.sessionID.uuid)::uuid
            )
            INSERT INTO embedding_status (kind, item_id, model, updated_at)
            SELECT * FROM unnest(
                \(rows.map(\.kind.rawValue))::text[], \(rows.map(\.id.uuid))::uuid[],
                \(rows.map(\.model))::text[], \(rows.map { PostgresTime($0.createdAt) })::timestamptz[])
            ON CONFLICT (kind, item_id, model) DO UPDATE SET updated_at = excluded.updated_at
            """,
            logger: logger
        )
    }

    package func deleteEmbeddings(_ kind: ItemKind, ids: [ItemID]) async throws {
        guard !ids.isEmpty else { return }
        try await withConnection("forgetting embeddings") { connection in
            _ = try await connection.query(
                "DELETE FROM embedding_status WHERE kind = \(kind.rawValue) AND item_id = ANY(\(ids.map(\.uuid))::uuid[])",
                logger: self.logger
            )
        }
    }

    /// Always no vectors, and `cursor` unchanged: central vectors live in ChromaDB and semantic search over
    /// the central repository asks the `VectorIndex` (`nearest(to:kind:filter:limit:)`), not this store.
    /// This method feeds the local in-process scan (`SemanticIndex`), which only the SQLite store serves.
    package func embeddings(of kind: ItemKind, model: String, after cursor: Int64) async throws
        -> (embeddings: [ItemEmbedding], cursor: Int64)
    {
        ([], cursor)
    }

    package func itemsWithoutEmbedding(_ kind: ItemKind, model: String, limit: Int) async throws -> [ItemID] {
        let table = Self.table(of: kind)
        return try await withConnection("finding items without embeddings") { connection in
            // `table` is a constant of `table(of:)`.
            try await self.rows(
                """
                SELECT i.id FROM \(unescaped: table) i
                WHERE NOT EXISTS (
                    SELECT 1 FROM embedding_status e
                    WHERE e.kind = \(kind.rawValue) AND e.item_id = i.id AND e.model = \(model))
                ORDER BY i.created_at, i.id
                LIMIT \(limit)
                """,
                on: connection
            ) { ItemID(try $0.decode(UUID.self)) }
        }
    }

    package func embeddingCoverage(_ kind: ItemKind, model: String) async throws -> (embedded: Int, total: Int) {
        let table = Self.table(of: kind)
        return try await withConnection("counting embeddings") { connection in
            // `table` is a constant of `table(of:)`. Status rows of erased items do not count.
            let counts = try await self.rows(
                """
                SELECT
                    (SELECT count(*) FROM embedding_status e JOIN \(unescaped: table) i ON i.id = e.item_id
                     WHERE e.kind = \(kind.rawValue) AND e.model = \(model)),
                    (SELECT count(*) FROM \(unescaped: table))
                """,
                on: connection
            ) { try $0.decode((Int, Int).self) }
            return counts.first.map { (embedded: $0.0, total: $0.1) } ?? (0, 0)
        }
    }

    static func table(of kind: ItemKind) -> String {
        switch kind {
        case .session: "sessions"
        case .checkpoint: "checkpoints"
        case .pattern: "patterns"
        }
    }
}
