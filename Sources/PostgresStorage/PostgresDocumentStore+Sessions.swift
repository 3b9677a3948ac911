package import ContextCore
package import Foundation
import PostgresNIO

// SQL text spliced in with `unescaped:` is a column list of `PostgresRows` (constants); every value is bound.
extension PostgresDocumentStore {
    package func saveSession(_ session: Session, audit: PrivacyAudit?) async throws {
        try await withTransaction("saving a session") { connection in
            // Shared with other writers of the session, taken alone by a purge of it (see `purgeSession`);
            // its own statement, so the upsert's check for an erased session sees a purge it waited for.
            try await connection.query(
                "SELECT pg_advisory_xact_lock_shared(hashtextextended(\(session.id.uuid)::text, 0))", logger: self.logger)
            // An older version than the stored one changes nothing (last writer wins, docs/sync.md).
            guard try await self.upsert(session, on: connection) else { return }
            try await self.replaceTags(session.tags, ofSession: session.id, on: connection)
            if let audit { try await self.insert(audit, on: connection) }
        }
    }

    /// Inserts the session, or replaces every field of the one with its id but `created_at` — unless the
    /// stored one is newer (`updated_at`; on a tie the version whose text hashes higher wins, so every replica
    /// picks the same) or the session was erased. True if it wrote.
    @discardableResult
    func upsert(_ session: Session, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query(
            """
            INSERT INTO sessions AS current (
                id, project, title, description, context_summary, privacy_level, status, session_type,
                conversation, decisions, file_changes, metadata, parent_session_id, source_checkpoint_id,
                duration_minutes, messages_count, files_changed, pii_detected, pii_redacted,
                created_at, updated_at, accessed_at, archived_at)
            SELECT
                \(session.id.uuid), \(session.project), \(session.title), \(session.description),
                \(session.contextSummary), \(session.privacyLevel.rawValue), \(session.status.rawValue),
                \(session.sessionType), \(session.conversationJSON)::jsonb, \(PostgresJSON.array(session.decisions))::jsonb,
                \(session.fileChangesJSON)::jsonb, \(session.metadataJSON)::jsonb,
                (SELECT id FROM sessions WHERE id = \(session.parentSessionID?.uuid)), \(session.sourceCheckpointID?.uuid),
                \(session.durationMinutes), \(session.messagesCount), \(session.filesChanged), \(session.piiDetected),
                \(session.piiRedacted), \(PostgresTime(session.createdAt)), \(PostgresTime(session.updatedAt)),
                \(session.accessedAt.map(PostgresTime.init)), \(session.archivedAt.map(PostgresTime.init))
            WHERE NOT EXISTS (SELECT 1 FROM purged_sessions WHERE id = \(session.id.uuid))
            ON CONFLICT (id) DO UPDATE SET
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
            WHERE excluded.updated_at > current.updated_at
                OR (excluded.updated_at = current.updated_at
                    AND md5(concat_ws('|', excluded.status, excluded.title, excluded.description, excluded.context_summary, excluded.decisions::text))
                        >= md5(concat_ws('|', current.status, current.title, current.description, current.context_summary, current.decisions::text)))
            RETURNING id
            """,
            logger: logger
        ).collect().isEmpty == false
    }

    package func session(id: ItemID, touch: Date?) async throws -> Session? {
        try await withConnection("reading a session") { connection in
            if let touch {
                try await connection.query(
                    "UPDATE sessions SET accessed_at = \(PostgresTime(touch)) WHERE id = \(id.uuid)",
                    logger: self.logger
                )
            }
            return try await self.rows(
                "SELECT \(unescaped: PostgresRows.sessionColumns) FROM sessions s WHERE s.id = \(id.uuid)",
                on: connection,
                PostgresRows.session
            ).first
        }
    }

    package func sessions(ids: [ItemID]) async throws -> [Session] {
        guard !ids.isEmpty else { return [] }
        return try await withConnection("reading sessions") { connection in
            try await self.rows(
                "SELECT \(unescaped: PostgresRows.sessionColumns) FROM sessions s WHERE s.id = ANY(\(ids.map(\.uuid)))",
                on: connection,
                PostgresRows.session
            )
        }
    }

    package func sessions(matching query: SessionQuery) async throws -> Page<Session> {
        let filter = query.filter
        let cursor = try ListCursor.decode(filter.cursor)
        let project = filter.scope.project
        let limit = filter.limit
        return try await withConnection("listing sessions") { connection in
            // Column lists are constants; every value is a bound parameter. With the unnamed statement
            // postgres-nio uses, the server plans with the values known, so `$n IS NULL OR …` folds away and
            // the (project, created_at DESC, id DESC) index serves the order and the cursor.
            let sessions = try await self.rows(
                """
                SELECT \(unescaped: PostgresRows.sessionColumns) FROM sessions s
                WHERE (\(project)::text IS NULL OR s.project = \(project))
                  AND (\(query.status?.rawValue)::text IS NULL AND s.status <> 'deleted' OR s.status = \(query.status?.rawValue))
                  AND (\(query.parentSessionID?.uuid)::uuid IS NULL OR s.parent_session_id = \(query.parentSessionID?.uuid))
                  AND (\(filter.since.map(PostgresTime.init))::timestamptz IS NULL
                       OR s.created_at >= \(filter.since.map(PostgresTime.init)))
                  AND (\(filter.until.map(PostgresTime.init))::timestamptz IS NULL
                       OR s.created_at < \(filter.until.map(PostgresTime.init)))
                  AND (\(cursor?.createdAt)::timestamptz IS NULL
                       OR (s.created_at, s.id) < (\(cursor?.createdAt), \(cursor?.id)))
                  AND (cardinality(\(filter.tags)::text[]) = 0 OR s.id IN (
                        SELECT l.session_id FROM session_tags l JOIN tags t ON t.id = l.tag_id
                        WHERE t.name = ANY(\(filter.tags)) GROUP BY l.session_id
                        HAVING count(*) = cardinality(\(filter.tags)::text[])))
                ORDER BY s.created_at DESC, s.id DESC
                LIMIT \(limit + 1)
                """,
                on: connection,
                PostgresRows.session
            )
            return PostgresRows.page(sessions, limit: limit, createdAt: \.createdAt, id: \.id)
        }
    }

    package func purgeSession(id: ItemID) async throws -> Bool {
        try await withTransaction("erasing a session") { connection in
            // The session's lock, alone: waits for saves into the session (and of it) that are under way, which
            // hold it shared until they commit, vector sent and all; saves that start later wait for this
            // transaction and then find the session erased. A session row that such a save inserted and had
            // not committed would be invisible to the `FOR UPDATE` below.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtextextended(\(id.uuid)::text, 0))", logger: self.logger)
            let existed =
                try await connection.query(
                    "SELECT id FROM sessions WHERE id = \(id.uuid) FOR UPDATE",
                    logger: self.logger
                ).collect().isEmpty == false
            try await connection.query(
                "INSERT INTO purged_sessions (id) VALUES (\(id.uuid)) ON CONFLICT (id) DO NOTHING",
                logger: self.logger
            )
            guard existed else { return false }
            try await connection.query(
                """
                DELETE FROM embedding_status
                WHERE (kind = 'session' AND item_id = \(id.uuid))
                   OR (kind = 'checkpoint' AND item_id IN (SELECT id FROM checkpoints WHERE session_id = \(id.uuid)))
                """,
                logger: self.logger
            )
            try await connection.query(
                """
                UPDATE privacy_audit SET item_id = NULL, detected = '{}', redacted = '{}', anonymized = true
                WHERE (item_kind = 'session' AND item_id = \(id.uuid))
                   OR (item_kind = 'checkpoint' AND item_id IN (SELECT id FROM checkpoints WHERE session_id = \(id.uuid)))
                """,
                logger: self.logger
            )
            // Loads that returned its items keep their counts, not its text or ids.
            try await connection.query(
                """
                UPDATE context_loads SET query = '', session_id = NULL,
                    checkpoint_ids = COALESCE((
                        SELECT jsonb_agg(e) FROM jsonb_array_elements(checkpoint_ids) e
                        WHERE e #>> '{}' NOT IN (SELECT id::text FROM checkpoints WHERE session_id = \(id.uuid))), '[]'::jsonb)
                WHERE session_id = \(id.uuid)
                   OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(checkpoint_ids) x
                              WHERE x IN (SELECT id::text FROM checkpoints WHERE session_id = \(id.uuid)))
                """,
                logger: self.logger
            )
            // Checkpoints and tag links go with the session (ON DELETE CASCADE); patterns and child sessions
            // that pointed at it keep existing (ON DELETE SET NULL).
            try await connection.query("DELETE FROM sessions WHERE id = \(id.uuid)", logger: self.logger)
            return true
        }
    }
}

extension ProjectScope {
    /// The one project a read is limited to, nil for every project.
    var project: String? {
        switch self {
        case .all: nil
        case .only(let name): name
        }
    }
}
