package import ContextCore
package import Foundation
import GRDB

extension SQLiteDocumentStore {
    package func saveCheckpoint(
        _ checkpoint: Checkpoint,
        creating newSession: Session?,
        audits: [PrivacyAudit],
        rule: SessionRule
    ) async throws -> CheckpointSaveOutcome {
        try await database.write { db in
            if let existing = try db.row(sql: "SELECT * FROM checkpoints WHERE id = ?", arguments: [checkpoint.id.description]) {
                return .existing(try SQLiteValues.checkpoint(existing))
            }
            var checkpoint = checkpoint
            var sessionCreated = false
            if let session = try db.row(sql: "SELECT project, status FROM sessions WHERE id = ?", arguments: [checkpoint.sessionID.description]) {
                let project: String = session["project"]
                try rule.check(project: project, status: SessionStatus(rawValue: session["status"]) ?? .active)
                if rule.joinsProject { checkpoint.project = project }
            } else if let newSession {
                try Self.upsert(newSession, in: db)
                try Self.replaceTags(newSession.tags, of: newSession.id, table: "session_tags", column: "session_id", in: db)
                try queueChange(.session, newSession.id, .upsert, in: db)
                sessionCreated = true
            }
            try Self.insert(checkpoint, in: db)
            // The session moves to the top of "recently updated" work.
            try db.run(
                sql: "UPDATE sessions SET updated_at = max(updated_at, ?) WHERE id = ?",
                arguments: [Millis(checkpoint.createdAt), checkpoint.sessionID.description]
            )
            for audit in SessionRule.audits(audits, sessionCreated: sessionCreated) { try Self.insert(audit, in: db) }
            try queueChange(.checkpoint, checkpoint.id, .upsert, in: db)
            return .inserted(checkpoint, sessionCreated: sessionCreated)
        }
    }

    static func insert(_ checkpoint: Checkpoint, in db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO checkpoints (
                    id, session_id, project, description, content, checkpoint_path, git_commit_hash, git_branch,
                    tags, metadata, privacy_level, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                checkpoint.id.description, checkpoint.sessionID.description, checkpoint.project,
                checkpoint.description, checkpoint.content, checkpoint.checkpointPath, checkpoint.gitCommit,
                checkpoint.gitBranch, SQLiteValues.jsonArray(checkpoint.tags), checkpoint.metadataJSON,
                checkpoint.privacyLevel.rawValue, Millis(checkpoint.createdAt),
            ]
        )
    }

    package func checkpoint(id: ItemID, touch: Date?) async throws -> Checkpoint? {
        if let touch {
            return try await database.write { db in
                try db.run(sql: "UPDATE checkpoints SET accessed_at = ? WHERE id = ?", arguments: [Millis(touch), id.description])
                return try Self.fetchCheckpoint(id, in: db)
            }
        }
        return try await database.read { db in try Self.fetchCheckpoint(id, in: db) }
    }

    private static func fetchCheckpoint(_ id: ItemID, in db: Database) throws -> Checkpoint? {
        try db.row(sql: "SELECT * FROM checkpoints WHERE id = ?", arguments: [id.description])
            .map(SQLiteValues.checkpoint)
    }

    package func checkpoints(ids: [ItemID]) async throws -> [Checkpoint] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            try db.rows(sql: "SELECT * FROM checkpoints WHERE id IN (\(Self.placeholders(ids.count)))",
                arguments: StatementArguments(ids.map(\.description))
            ).map(SQLiteValues.checkpoint)
        }
    }

    package func checkpoints(matching query: CheckpointQuery) async throws -> Page<Checkpoint> {
        var conditions = SQLConditions()
        try conditions.addListFilter(query.filter, alias: "c")
        if let sessionID = query.sessionID { conditions.add("c.session_id = ?", [sessionID.description]) }
        if let branch = query.gitBranch { conditions.add("c.git_branch = ?", [branch]) }
        for tag in query.filter.tags {
            conditions.add("EXISTS (SELECT 1 FROM json_each(c.tags) WHERE json_each.value = ?)", [tag])
        }
        let limit = query.filter.limit
        let finalConditions = conditions
        return try await database.read { db in
            let rows = try db.rows(sql: "SELECT c.* FROM checkpoints c \(finalConditions.sql) ORDER BY c.created_at DESC, c.id DESC LIMIT ?",
                arguments: finalConditions.arguments + [limit + 1]
            )
            return try Self.page(rows, limit: limit, db: db) { rows, _ in try rows.map(SQLiteValues.checkpoint) }
        }
    }
}
