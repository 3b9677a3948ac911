package import ContextCore
import Foundation
import GRDB

extension SQLiteDocumentStore {
    /// Vectors are little-endian float32 BLOBs (`dimension * 4` bytes, checked by the schema). INSERT OR
    /// REPLACE gives a replaced vector a new `seq`, so other processes see it as new.
    package func saveEmbeddings(_ embeddings: [ItemEmbedding]) async throws {
        guard !embeddings.isEmpty else { return }
        try await database.write { db in
            for embedding in embeddings {
                try Self.insert(embedding, in: db)
                try queueChange(embedding.kind, embedding.id, .upsert, in: db)
            }
        }
    }

    package func deleteEmbeddings(_ kind: ItemKind, ids: [ItemID]) async throws {
        guard !ids.isEmpty else { return }
        try await database.write { db in
            for id in ids {
                try db.run(sql: "DELETE FROM embeddings WHERE kind = ? AND item_id = ?", arguments: [kind.rawValue, id.description])
            }
        }
    }

    package func embeddings(of kind: ItemKind, model: String, after cursor: Int64) async throws
        -> (embeddings: [ItemEmbedding], cursor: Int64)
    {
        // `+e.kind` keeps SQLite on the seq range rather than the (kind, item_id, model) index.
        let (join, columns) = Self.itemJoin(kind)
        return try await database.read { db in
            let newest = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM embeddings") ?? 0
            guard newest > cursor else { return ([], cursor) }
            // Identifiers come from the constants above.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT e.item_id, e.vector, e.created_at, \(columns)
                    FROM embeddings e \(join)
                    WHERE e.seq > ? AND e.seq <= ? AND +e.kind = ? AND e.model = ?
                    """,
                arguments: [cursor, newest, kind.rawValue, model]
            )
            var embeddings: [ItemEmbedding] = []
            while let row = try rows.next() {
                guard let id = SQLiteValues.id(row, "item_id"), let data = row["vector"] as Data? else { continue }
                embeddings.append(
                    ItemEmbedding(
                        kind: kind,
                        id: id,
                        model: model,
                        vector: Self.floats(data),
                        createdAt: SQLiteValues.date(row, "created_at") ?? Date(timeIntervalSince1970: 0),
                        project: row["project"],
                        patternType: (row["pattern_type"] as String?).flatMap(PatternType.init(rawValue:)),
                        sessionID: SQLiteValues.id(row, "session_id")
                    )
                )
            }
            return (embeddings, newest)
        }
    }

    package func itemsWithoutEmbedding(_ kind: ItemKind, model: String, limit: Int) async throws -> [ItemID] {
        let table = Self.table(of: kind)
        return try await database.read { db in
            // The table name comes from a constant.
            try String.fetchAll(
                db,
                sql: """
                    SELECT i.id FROM \(table) i
                    WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.kind = ? AND e.item_id = i.id AND e.model = ?)
                    ORDER BY i.created_at, i.id LIMIT ?
                    """,
                arguments: [kind.rawValue, model, limit]
            ).compactMap(ItemID.init)
        }
    }

    package func embeddingCoverage(_ kind: ItemKind, model: String) async throws -> (embedded: Int, total: Int) {
        let table = Self.table(of: kind)
        return try await database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            let embedded =
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM embeddings e JOIN \(table) i ON i.id = e.item_id WHERE e.kind = ? AND e.model = ?",
                    arguments: [kind.rawValue, model]
                ) ?? 0
            return (embedded, total)
        }
    }

    private static func table(of kind: ItemKind) -> String {
        switch kind {
        case .session: "sessions"
        case .checkpoint: "checkpoints"
        case .pattern: "patterns"
        }
    }

    /// Stores (or replaces) one vector row.
    static func insert(_ embedding: ItemEmbedding, in db: Database) throws {
        try db.run(
            sql: """
                INSERT OR REPLACE INTO embeddings (kind, item_id, model, dimension, vector, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                embedding.kind.rawValue, embedding.id.description, embedding.model, embedding.vector.count,
                Self.blob(embedding.vector), Millis(embedding.createdAt),
            ]
        )
    }

    /// The join from `embeddings e` to the item of `kind` (as `i`), and the item columns a vector carries.
    static func itemJoin(_ kind: ItemKind) -> (join: String, columns: String) {
        switch kind {
        case .session: ("JOIN sessions i ON i.id = e.item_id", "i.project, NULL AS pattern_type, NULL AS session_id")
        case .checkpoint: ("JOIN checkpoints i ON i.id = e.item_id", "i.project, NULL AS pattern_type, i.session_id")
        case .pattern: ("JOIN patterns i ON i.id = e.item_id", "i.project, i.pattern_type, NULL AS session_id")
        }
    }

    static func blob(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { buffer in
            var data = Data(capacity: buffer.count * 4)
            for value in buffer {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
            return data
        }
    }

    static func floats(_ data: Data) -> [Float] {
        let count = data.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                for index in 0..<count {
                    buffer[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)))
                }
            }
            initialized = count
        }
    }
}
