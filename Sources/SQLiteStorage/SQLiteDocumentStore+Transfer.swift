package import ContextCore
import Foundation
import GRDB

extension SQLiteDocumentStore: RecordTransfer {
    package func importRecords(_ batch: RecordBatch) async throws -> ImportCounts {
        try await database.write { db in
            var counts = ImportCounts()
            var inserted: Set<ItemID> = []
            func exists(_ table: String, _ id: ItemID?) throws -> Bool {
                guard let id else { return false }
                // `table` is a constant of this file, never input.
                return try db.exists(sql: "SELECT 1 FROM \(table) WHERE id = ?", arguments: [id.description])
            }
            func reference(_ id: ItemID?, in table: String, from kind: String, _ key: ItemID, _ field: String) throws
                -> ItemID?
            {
                guard let id else { return nil }
                if try exists(table, id) { return id }
                counts.droppedReferences.append(
                    ImportIssue(kind: kind, key: key.description, reason: "\(field) \(id) is not stored: written as null"))
                return nil
            }
            for var session in batch.sessions {
                if try exists("sessions", session.id) {
                    counts.existing[.session, default: 0] += 1
                    continue
                }
                session.parentSessionID = try reference(session.parentSessionID, in: "sessions", from: "session", session.id, "parentSessionId")
                try Self.upsert(session, in: db)
                try Self.replaceTags(session.tags, of: session.id, table: "session_tags", column: "session_id", in: db)
                try queueChange(.session, session.id, .upsert, in: db)
                inserted.insert(session.id)
                counts.insertedItems.append(ItemReference(kind: .session, id: session.id))
                counts.inserted[.session, default: 0] += 1
            }
            for checkpoint in batch.checkpoints {
                if try exists("checkpoints", checkpoint.id) {
                    counts.existing[.checkpoint, default: 0] += 1
                    continue
                }
                guard try exists("sessions", checkpoint.sessionID) else {
                    counts.skipped.append(
                        ImportIssue(kind: "checkpoint", key: checkpoint.id.description, reason: "its session \(checkpoint.sessionID) is not stored"))
                    continue
                }
                try Self.insert(checkpoint, in: db)
                try queueChange(.checkpoint, checkpoint.id, .upsert, in: db)
                inserted.insert(checkpoint.id)
                counts.insertedItems.append(ItemReference(kind: .checkpoint, id: checkpoint.id))
                counts.inserted[.checkpoint, default: 0] += 1
            }
            for var pattern in batch.patterns {
                if try exists("patterns", pattern.id) {
                    counts.existing[.pattern, default: 0] += 1
                    continue
                }
                pattern.sourceSessionID = try reference(pattern.sourceSessionID, in: "sessions", from: "pattern", pattern.id, "sourceSessionId")
                pattern.parentPatternID = try reference(pattern.parentPatternID, in: "patterns", from: "pattern", pattern.id, "parentPatternId")
                try Self.upsert(pattern, in: db)
                try Self.replaceTags(pattern.tags, of: pattern.id, table: "pattern_tags", column: "pattern_id", in: db)
                try queueChange(.pattern, pattern.id, .upsert, in: db)
                inserted.insert(pattern.id)
                counts.insertedItems.append(ItemReference(kind: .pattern, id: pattern.id))
                counts.inserted[.pattern, default: 0] += 1
            }
            for var load in batch.contextLoads {
                if try exists("context_loads", load.id) {
                    counts.existing[.contextLoad, default: 0] += 1
                    continue
                }
                load.sessionID = try reference(load.sessionID, in: "sessions", from: "contextLoad", load.id, "sessionId")
                try Self.insert(load, in: db)
                counts.inserted[.contextLoad, default: 0] += 1
            }
            for audit in batch.audits where inserted.contains(audit.itemID) {
                try Self.insert(audit, in: db)
                counts.audits += 1
            }
            return counts
        }
    }

    static func insert(_ load: ContextLoad, in db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO context_loads(id, project, query, session_id, checkpoint_ids, pattern_ids,
                    decision_count, tokens_used, token_budget, created_at)
                VALUES (?, ?, ?, (SELECT id FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                load.id.description, load.project, load.query, load.sessionID?.description,
                SQLiteValues.jsonArray(load.checkpointIDs.map(\.description)),
                SQLiteValues.jsonArray(load.patternIDs.map(\.description)), load.decisionCount, load.tokensUsed,
                load.tokenBudget, Millis(load.createdAt),
            ]
        )
    }

    package func exportRecords(_ kind: RecordKind, scope: ProjectScope, after cursor: String?, limit: Int) async throws
        -> (batch: RecordBatch, next: String?)
    {
        let table =
            switch kind {
            case .session: "sessions"
            case .checkpoint: "checkpoints"
            case .pattern: "patterns"
            case .contextLoad: "context_loads"
            }
        var conditions = SQLConditions()
        if case .only(let project) = scope { conditions.add("t.project = ?", [project]) }
        if let cursor {
            let (createdAtText, id) = try ListCursor.decode(cursor)
            guard let createdAt = Int64(createdAtText) else { throw ContextError.invalid("cursor", "is not a cursor returned by this server") }
            conditions.add("(t.created_at > ? OR (t.created_at = ? AND t.id > ?))", [createdAt, createdAt, id])
        }
        let finalConditions = conditions
        return try await database.read { db in
            let rows = try db.rows(
                sql: "SELECT t.* FROM \(table) t \(finalConditions.sql) ORDER BY t.created_at, t.id LIMIT ?",
                arguments: finalConditions.arguments + [limit + 1]
            )
            let pageRows = Array(rows.prefix(limit))
            var batch = RecordBatch()
            switch kind {
            case .session: batch.sessions = try Self.sessions(from: pageRows, db: db)
            case .checkpoint: batch.checkpoints = try pageRows.map(SQLiteValues.checkpoint)
            case .pattern: batch.patterns = try Self.patterns(from: pageRows, db: db)
            case .contextLoad: batch.contextLoads = try pageRows.map(SQLiteValues.contextLoad)
            }
            if kind != .contextLoad, let itemKind = ItemKind(rawValue: kind.rawValue) {
                let ids: [String] = pageRows.map { $0["id"] }
                if !ids.isEmpty {
                    batch.audits = try db.rows(
                        sql: """
                            SELECT * FROM privacy_audit WHERE item_kind = ? AND item_id IN (\(Self.placeholders(ids.count)))
                            ORDER BY id
                            """,
                        arguments: StatementArguments([itemKind.rawValue] + ids)
                    ).map(SQLiteValues.audit)
                }
            }
            guard rows.count > limit, let last = pageRows.last else { return (batch, nil) }
            let createdAt: Int64 = last["created_at"]
            return (batch, ListCursor.encode(createdAt: String(createdAt), id: last["id"]))
        }
    }
}

extension SQLiteValues {
    static func contextLoad(_ row: Row) throws -> ContextLoad {
        ContextLoad(
            id: try requiredID(row, "id"),
            project: row["project"],
            query: row["query"],
            sessionID: id(row, "session_id"),
            checkpointIDs: stringArray(row["checkpoint_ids"]).compactMap(ItemID.init),
            patternIDs: stringArray(row["pattern_ids"]).compactMap(ItemID.init),
            decisionCount: row["decision_count"],
            tokensUsed: row["tokens_used"],
            tokenBudget: row["token_budget"],
            createdAt: try requiredDate(row, "created_at")
        )
    }

    static func audit(_ row: Row) throws -> PrivacyAudit {
        PrivacyAudit(
            itemKind: ItemKind(rawValue: row["item_kind"]) ?? .session,
            itemID: try requiredID(row, "item_id"),
            level: PrivacyLevel(rawValue: row["level"]) ?? .team,
            detected: countObject(row["detected"]),
            redacted: countObject(row["redacted"]),
            createdAt: try requiredDate(row, "created_at")
        )
    }

    static func countObject(_ text: String?) -> [String: Int] {
        guard let text, let values = try? JSONDecoder().decode([String: Int].self, from: Data(text.utf8)) else { return [:] }
        return values
    }
}
