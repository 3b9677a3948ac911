package import ContextCore
package import Foundation
import GRDB

extension SQLiteDocumentStore {
    package func saveSession(_ session: Session, audit: PrivacyAudit?) async throws {
        try await database.write { db in
            try Self.upsert(session, in: db)
            try Self.replaceTags(session.tags, of: session.id, table: "session_tags", column: "session_id", in: db)
            if let audit { try Self.insert(audit, in: db) }
            try queueChange(.session, session.id, .upsert, in: db)
        }
    }

    static func upsert(_ session: Session, in db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO sessions (
                    id, project, title, description, context_summary, privacy_level, status, session_type,
                    conversation, decisions, file_changes, metadata, parent_session_id, source_checkpoint_id,
                    duration_minutes, messages_count, files_changed, pii_detected, pii_redacted,
                    created_at, updated_at, accessed_at, archived_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    project = excluded.project, title = excluded.title, description = excluded.description,
                    context_summary = excluded.context_summary, privacy_level = excluded.privacy_level,
                    status = excluded.status, session_type = excluded.session_type,
                    conversation = excluded.conversation, decisions = excluded.decisions,
                    file_changes = excluded.file_changes, metadata = excluded.metadata,
                    parent_session_id = excluded.parent_session_id,
                    source_checkpoint_id = excluded.source_checkpoint_id,
                    duration_minutes = excluded.duration_minutes, messages_count = excluded.messages_count,
                    files_changed = excluded.files_changed, pii_detected = excluded.pii_detected,
                    pii_redacted = excluded.pii_redacted, updated_at = excluded.updated_at,
                    accessed_at = excluded.accessed_at, archived_at = excluded.archived_at
                """,
            arguments: [
                session.id.description, session.project, session.title, session.description,
                session.contextSummary, session.privacyLevel.rawValue, session.status.rawValue, session.sessionType,
                session.conversationJSON, SQLiteValues.jsonArray(session.decisions), session.fileChangesJSON,
                session.metadataJSON, session.parentSessionID?.description, session.sourceCheckpointID?.description,
                session.durationMinutes, session.messagesCount, session.filesChanged, session.piiDetected,
                session.piiRedacted, Millis(session.createdAt), Millis(session.updatedAt), session.accessedAt.map(Millis.init),
                session.archivedAt.map(Millis.init),
            ]
        )
    }

    package func session(id: ItemID, touch: Date?) async throws -> Session? {
        if let touch {
            return try await database.write { db in
                try db.run(sql: "UPDATE sessions SET accessed_at = ? WHERE id = ?", arguments: [Millis(touch), id.description])
                return try Self.fetchSessions(db, where: "s.id = ?", [id.description]).first
            }
        }
        return try await database.read { db in try Self.fetchSessions(db, where: "s.id = ?", [id.description]).first }
    }

    package func sessions(ids: [ItemID]) async throws -> [Session] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            try Self.fetchSessions(db, where: "s.id IN (\(Self.placeholders(ids.count)))", ids.map(\.description))
        }
    }

    package func sessions(matching query: SessionQuery) async throws -> Page<Session> {
        var conditions = SQLConditions()
        try conditions.addListFilter(query.filter, alias: "s")
        if let status = query.status {
            conditions.add("s.status = ?", [status.rawValue])
        } else {
            conditions.add("s.status <> 'deleted'")
        }
        if let parent = query.parentSessionID { conditions.add("s.parent_session_id = ?", [parent.description]) }
        Self.addTagFilter(query.filter.tags, to: &conditions, table: "session_tags", column: "session_id", alias: "s")
        let limit = query.filter.limit
        let finalConditions = conditions
        return try await database.read { db in
            let rows = try db.rows(sql: "SELECT s.* FROM sessions s \(finalConditions.sql) ORDER BY s.created_at DESC, s.id DESC LIMIT ?",
                arguments: finalConditions.arguments + [limit + 1]
            )
            return try Self.page(rows, limit: limit, db: db) { rows, db in try Self.sessions(from: rows, db: db) }
        }
    }

    package func purgeSession(id: ItemID) async throws -> Bool {
        let existed = try await database.write { db -> Bool in
            // The purge reaches the central repository even for a session this machine never held.
            try queuePurge(of: id, in: db)
            let id = id.description
            guard try db.exists(sql: "SELECT 1 FROM sessions WHERE id = ?", arguments: [id]) else {
                return false
            }
            let checkpointIDs = "SELECT id FROM checkpoints WHERE session_id = ?"
            try db.execute(
                sql: """
                    DELETE FROM embeddings WHERE (kind = 'session' AND item_id = ?)
                        OR (kind = 'checkpoint' AND item_id IN (\(checkpointIDs)));
                    UPDATE privacy_audit SET item_id = NULL, detected = '{}', redacted = '{}', anonymized = 1
                        WHERE (item_kind = 'session' AND item_id = ?)
                        OR (item_kind = 'checkpoint' AND item_id IN (\(checkpointIDs)));
                    UPDATE context_loads SET query = '', session_id = NULL,
                        checkpoint_ids = (SELECT json_group_array(value) FROM json_each(context_loads.checkpoint_ids)
                            WHERE value NOT IN (\(checkpointIDs)))
                        WHERE session_id = ?
                        OR EXISTS (SELECT 1 FROM json_each(context_loads.checkpoint_ids) WHERE value IN (\(checkpointIDs)));
                    DELETE FROM sessions WHERE id = ?;
                    """,
                arguments: [id, id, id, id, id, id, id, id]
            )
            return true
        }
        if existed {
            // FTS5 keeps deleted terms in older segments until they merge: merge now, and fold the WAL
            // into the main file, so no copy of the purged text stays on disk.
            try await database.writeWithoutTransaction { db in
                try db.run(sql: "INSERT INTO sessions_fts(sessions_fts) VALUES('optimize')")
                try db.run(sql: "INSERT INTO checkpoints_fts(checkpoints_fts) VALUES('optimize')")
                if path != nil { try db.run(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            }
        }
        return existed
    }

    static func fetchSessions(_ db: Database, where clause: String, _ arguments: [String]) throws -> [Session] {
        let rows = try db.rows(sql: "SELECT s.* FROM sessions s WHERE \(clause)", arguments: StatementArguments(arguments))
        return try sessions(from: rows, db: db)
    }

    static func sessions(from rows: [Row], db: Database) throws -> [Session] {
        var sessions = try rows.map(SQLiteValues.session)
        let tags = try tagsByOwner(sessions.map(\.id), table: "session_tags", column: "session_id", in: db)
        for index in sessions.indices { sessions[index].tags = tags[sessions[index].id] ?? [] }
        return sessions
    }
}
