package import ContextCore
import Foundation
import PostgresNIO

// SQL text spliced in with `unescaped:` is a table name or column list chosen below from constants; every
// value is bound.
extension PostgresDocumentStore: RecordTransfer {
    package func importRecords(_ batch: RecordBatch) async throws -> ImportCounts {
        try await withTransaction("importing records") { connection in
            var counts = ImportCounts()
            var inserted: Set<ItemID> = []
            let logger = self.logger
            func stored(_ table: String, _ ids: [ItemID]) async throws -> Set<ItemID> {
                guard !ids.isEmpty else { return [] }
                var found: Set<ItemID> = []
                let rows = try await connection.query(
                    "SELECT id FROM \(unescaped: table) WHERE id = ANY(\(ids.map(\.uuid)))", logger: logger)
                for try await id in rows.decode(UUID.self) { found.insert(ItemID(id)) }
                return found
            }
            func reference(_ id: ItemID?, known: Set<ItemID>, from kind: String, _ key: ItemID, _ field: String)
                -> ItemID?
            {
                guard let id else { return nil }
                if known.contains(id) { return id }
                counts.droppedReferences.append(
                    ImportIssue(kind: kind, key: key.description, reason: "\(field) \(id) is not stored: written as null"))
                return nil
            }

            var sessions = try await stored("sessions", batch.sessions.flatMap { [$0.id] + ($0.parentSessionID.map { [$0] } ?? []) })
            let erased = try await stored("purged_sessions", batch.sessions.map(\.id) + batch.checkpoints.map(\.sessionID))
            for var session in batch.sessions {
                if sessions.contains(session.id) {
                    counts.existing[.session, default: 0] += 1
                    continue
                }
                if erased.contains(session.id) {
                    counts.skipped.append(ImportIssue(kind: "session", key: session.id.description, reason: "the session was erased (purged) here"))
                    continue
                }
                session.parentSessionID = reference(session.parentSessionID, known: sessions, from: "session", session.id, "parentSessionId")
                guard try await self.insertIfMissing(session, on: connection) else { continue }
                try await self.replaceTags(session.tags, ofSession: session.id, on: connection)
                sessions.insert(session.id)
                inserted.insert(session.id)
                counts.insertedItems.append(ItemReference(kind: .session, id: session.id))
                counts.inserted[.session, default: 0] += 1
            }
            sessions.formUnion(try await stored("sessions", batch.checkpoints.map(\.sessionID) + batch.patterns.compactMap(\.sourceSessionID) + batch.contextLoads.compactMap(\.sessionID)))
            let checkpoints = try await stored("checkpoints", batch.checkpoints.map(\.id))
            for checkpoint in batch.checkpoints {
                if checkpoints.contains(checkpoint.id) {
                    counts.existing[.checkpoint, default: 0] += 1
                    continue
                }
                guard sessions.contains(checkpoint.sessionID) else {
                    counts.skipped.append(
                        ImportIssue(kind: "checkpoint", key: checkpoint.id.description, reason: "its session \(checkpoint.sessionID) is not stored"))
                    continue
                }
                guard try await self.insertIfMissing(checkpoint, on: connection) else { continue }
                inserted.insert(checkpoint.id)
                counts.insertedItems.append(ItemReference(kind: .checkpoint, id: checkpoint.id))
                counts.inserted[.checkpoint, default: 0] += 1
            }
            var patterns = try await stored("patterns", batch.patterns.flatMap { [$0.id] + ($0.parentPatternID.map { [$0] } ?? []) })
            let existingPatterns = patterns
            for var pattern in batch.patterns {
                if existingPatterns.contains(pattern.id) {
                    counts.existing[.pattern, default: 0] += 1
                    continue
                }
                pattern.sourceSessionID = reference(pattern.sourceSessionID, known: sessions, from: "pattern", pattern.id, "sourceSessionId")
                pattern.parentPatternID = reference(pattern.parentPatternID, known: patterns, from: "pattern", pattern.id, "parentPatternId")
                try await self.upsert(pattern, on: connection)
                try await self.replaceTags(pattern.tags, ofPattern: pattern.id, on: connection)
                patterns.insert(pattern.id)
                inserted.insert(pattern.id)
                counts.insertedItems.append(ItemReference(kind: .pattern, id: pattern.id))
                counts.inserted[.pattern, default: 0] += 1
            }
            for var load in batch.contextLoads {
                load.sessionID = reference(load.sessionID, known: sessions, from: "contextLoad", load.id, "sessionId")
                if try await self.insertIfMissing(load, on: connection) {
                    counts.inserted[.contextLoad, default: 0] += 1
                } else {
                    counts.existing[.contextLoad, default: 0] += 1
                }
            }
            for audit in batch.audits where inserted.contains(audit.itemID) {
                try await self.insert(audit, on: connection)
                counts.audits += 1
            }
            return counts
        }
    }

    package func exportRecords(_ kind: RecordKind, scope: ProjectScope, after cursor: String?, limit: Int) async throws
        -> (batch: RecordBatch, next: String?)
    {
        let (table, alias, columns) =
            switch kind {
            case .session: ("sessions s", "s", PostgresRows.sessionColumns)
            case .checkpoint: ("checkpoints c", "c", PostgresRows.checkpointColumns)
            case .pattern: ("patterns p", "p", PostgresRows.patternColumns)
            case .contextLoad: ("context_loads l", "l", PostgresRows.contextLoadColumns)
            }
        let position = try ListCursor.decode(cursor)
        let project = scope.project
        return try await withConnection("exporting records") { connection in
            var batch = RecordBatch()
            let rows = try await connection.query(
                """
                SELECT \(unescaped: columns), \(unescaped: alias).created_at AS position_time
                FROM \(unescaped: table)
                WHERE (\(project)::text IS NULL OR \(unescaped: alias).project = \(project))
                  AND (\(position?.createdAt)::timestamptz IS NULL
                       OR (\(unescaped: alias).created_at, \(unescaped: alias).id) > (\(position?.createdAt), \(position?.id)))
                ORDER BY \(unescaped: alias).created_at, \(unescaped: alias).id
                LIMIT \(limit + 1)
                """,
                logger: self.logger
            ).collect()
            let pageRows = Array(rows.prefix(limit))
            var ids: [UUID] = []
            switch kind {
            case .session: batch.sessions = try pageRows.map(PostgresRows.session); ids = batch.sessions.map(\.id.uuid)
            case .checkpoint: batch.checkpoints = try pageRows.map(PostgresRows.checkpoint); ids = batch.checkpoints.map(\.id.uuid)
            case .pattern: batch.patterns = try pageRows.map(PostgresRows.pattern); ids = batch.patterns.map(\.id.uuid)
            case .contextLoad: batch.contextLoads = try pageRows.map(PostgresRows.contextLoad)
            }
            if !ids.isEmpty {
                batch.audits = try await connection.query(
                    """
                    SELECT item_kind, item_id, level, detected::text AS detected, redacted::text AS redacted, created_at
                    FROM privacy_audit WHERE item_kind = \(kind.rawValue) AND item_id = ANY(\(ids)) ORDER BY id
                    """,
                    logger: self.logger
                ).collect().map(PostgresRows.audit)
            }
            guard rows.count > limit, let last = pageRows.last else { return (batch, nil) }
            let read = RowReader(last)
            return (batch, ListCursor.encode(createdAt: try read("position_time", as: PostgresTime.self), id: try read.id("id")))
        }
    }
}

extension PostgresRows {
    /// The columns `contextLoad(_:)` reads; `l` is the context_loads table.
    static let contextLoadColumns = """
        l.id, l.project, l.query, l.session_id, l.checkpoint_ids::text AS checkpoint_ids,
        l.pattern_ids::text AS pattern_ids, l.decision_count, l.tokens_used, l.token_budget, l.created_at
        """

    static func contextLoad(_ row: PostgresRow) throws -> ContextLoad {
        let read = RowReader(row)
        return ContextLoad(
            id: try read.id("id"),
            project: try read("project"),
            query: try read("query"),
            sessionID: try read.optionalID("session_id"),
            checkpointIDs: PostgresJSON.strings(try read("checkpoint_ids")).compactMap(ItemID.init),
            patternIDs: PostgresJSON.strings(try read("pattern_ids")).compactMap(ItemID.init),
            decisionCount: try read("decision_count"),
            tokensUsed: try read("tokens_used"),
            tokenBudget: try read("token_budget"),
            createdAt: try read.date("created_at")
        )
    }

    static func audit(_ row: PostgresRow) throws -> PrivacyAudit {
        let read = RowReader(row)
        return PrivacyAudit(
            itemKind: ItemKind(rawValue: try read("item_kind")) ?? .session,
            itemID: try read.id("item_id"),
            level: PrivacyLevel(rawValue: try read("level")) ?? .team,
            detected: PostgresJSON.counts(try read("detected")),
            redacted: PostgresJSON.counts(try read("redacted")),
            createdAt: try read.date("created_at")
        )
    }
}

extension PostgresJSON {
    static func counts(_ text: String?) -> [String: Int] {
        guard let text, let values = try? JSONDecoder().decode([String: Int].self, from: Data(text.utf8)) else { return [:] }
        return values
    }
}

extension PostgresDocumentStore {
    package func saveAudits(_ audits: [PrivacyAudit]) async throws {
        guard !audits.isEmpty else { return }
        try await withTransaction("saving privacy audit rows") { connection in
            for audit in audits where audit.level != .ephemeral {
                try await connection.query(
                    """
                    INSERT INTO privacy_audit (item_kind, item_id, level, detected, redacted, created_at)
                    SELECT \(audit.itemKind.rawValue), \(audit.itemID.uuid), \(audit.level.rawValue),
                        \(PostgresJSON.object(audit.detected))::jsonb, \(PostgresJSON.object(audit.redacted))::jsonb,
                        \(PostgresTime(audit.createdAt))
                    WHERE NOT EXISTS (
                        SELECT 1 FROM privacy_audit
                        WHERE item_kind = \(audit.itemKind.rawValue) AND item_id = \(audit.itemID.uuid)
                          AND level = \(audit.level.rawValue) AND created_at = \(PostgresTime(audit.createdAt))
                          AND detected = \(PostgresJSON.object(audit.detected))::jsonb)
                      AND EXISTS (SELECT 1 FROM \(unescaped: Self.table(of: audit.itemKind)) WHERE id = \(audit.itemID.uuid))
                    """,
                    logger: self.logger
                )
            }
        }
    }
}
