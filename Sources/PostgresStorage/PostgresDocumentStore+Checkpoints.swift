package import ContextCore
package import Foundation
import PostgresNIO
import Synchronization

// SQL text spliced in with `unescaped:` is a column list of `PostgresRows` (constants); every value is bound.
extension PostgresDocumentStore {
    package func saveCheckpoint(
        _ checkpoint: Checkpoint,
        creating newSession: Session?,
        audits: [PrivacyAudit],
        rule: SessionRule
    ) async throws -> CheckpointSaveOutcome {
        try await save(checkpoint, creating: newSession, audits: audits, rule: rule, vectors: nil)
    }

    /// The vectors go to the vector index while the transaction writes the rows; it commits (with the vectors'
    /// `embedding_status` rows) only once they are in. Vectors sent for rows that were not committed are taken
    /// out again (best effort: a vector whose row is missing is never returned by a search, which reads the
    /// rows). The PostgreSQL connection is held while ChromaDB takes the vector.
    package func saveCheckpoint(
        _ checkpoint: Checkpoint,
        creating newSession: Session?,
        audits: [PrivacyAudit],
        rule: SessionRule,
        vectors: VectorWrite
    ) async throws -> CheckpointSaveOutcome {
        let sent = SentVectors()
        let outcome: CheckpointSaveOutcome
        do {
            outcome = try await save(checkpoint, creating: newSession, audits: audits, rule: rule, vectors: (vectors, sent))
        } catch {
            // A COMMIT whose answer was lost may have gone through: then the vectors belong to saved rows.
            let sentVectors = sent.embeddings.withLock { $0 }
            if !sentVectors.isEmpty, (try? await self.checkpoint(id: checkpoint.id, touch: nil)) == nil {
                await discard(sentVectors, of: checkpoint, vectors: vectors, forgettingRecords: false)
            }
            throw error
        }
        // Another writer saved this id first (found by the insert, or by a retried attempt): a vector this save
        // sent may have replaced that writer's. Unless the text is the same, it is taken out with its record, so
        // `memctx reindex` embeds the stored text again.
        let sentVectors = sent.embeddings.withLock { $0 }
        if case .existing(let stored) = outcome, !sentVectors.isEmpty,
            stored.description != checkpoint.description || stored.content != checkpoint.content
        {
            await discard(sentVectors, of: checkpoint, vectors: vectors, forgettingRecords: true)
        }
        return outcome
    }

    /// Takes vectors out of the vector index (and, with `forgettingRecords`, their `embedding_status` rows),
    /// logging what could not be.
    private func discard(_ embeddings: [ItemEmbedding], of checkpoint: Checkpoint, vectors: VectorWrite, forgettingRecords: Bool) async {
        do {
            try await vectors.remove(embeddings)
            if forgettingRecords {
                for (kind, ids) in embeddings.idsByKind { try await deleteEmbeddings(kind, ids: ids) }
            }
        } catch {
            logger.warning(
                "vectors sent with a checkpoint could not be taken out again",
                metadata: ["id": "\(checkpoint.id)", "error": "\(VectorWriteFailure.message(of: error))"])
        }
    }

    /// With `vectors`, the vectors of what is inserted are written (and noted in `sent`) while the rest of the
    /// rows are written, and recorded before the commit.
    private func save(
        _ checkpoint: Checkpoint,
        creating newSession: Session?,
        audits: [PrivacyAudit],
        rule: SessionRule,
        vectors: (write: VectorWrite, sent: SentVectors)?
    ) async throws -> CheckpointSaveOutcome {
        try await withTransaction("saving a checkpoint") { connection in
            // What the save depends on, in one round trip: the checkpoint id, an erased session, the session;
            // and the session's lock, shared with other saves into it, which a purge of it takes alone (see
            // `purgeSession`). Read before a purge that held the lock committed, these facts may say the session
            // is there; the statements below see the purge (the session insert checks for an erased session,
            // the checkpoint's foreign key for its session), so such a save fails rather than bring it back.
            let facts = try await connection.query(
                """
                SELECT EXISTS (SELECT 1 FROM checkpoints WHERE id = \(checkpoint.id.uuid)),
                    EXISTS (SELECT 1 FROM purged_sessions WHERE id = \(checkpoint.sessionID.uuid)),
                    s.project, s.status
                FROM (SELECT pg_advisory_xact_lock_shared(hashtextextended(\(checkpoint.sessionID.uuid)::text, 0))) locked
                    LEFT JOIN sessions s ON s.id = \(checkpoint.sessionID.uuid)
                """,
                logger: self.logger
            ).collect()
            guard let fact = facts.first else { throw ContextError(.backendUnavailable, "PostgreSQL returned no row") }
            let (exists, erased, project, status) = try fact.decode((Bool, Bool, String?, String?).self)
            if exists, let existing = try await self.checkpoint(checkpoint.id, on: connection) {
                return .existing(existing)
            }
            if erased {
                throw ContextError(.notFound, "session \(checkpoint.sessionID) was erased", field: "sessionId")
            }
            var checkpoint = checkpoint
            var sessionCreated = false
            if let project {
                try rule.check(project: project, status: status.flatMap(SessionStatus.init(rawValue:)) ?? .active)
                if rule.joinsProject { checkpoint.project = project }
            } else if let newSession {
                // Another writer may have created it meanwhile: insert only if missing, tags with it.
                sessionCreated = try await self.insertIfMissing(newSession, on: connection)
                if sessionCreated { try await self.replaceTags(newSession.tags, ofSession: newSession.id, on: connection) }
            }
            // The vectors go out now, while the rows are written (the facts above already refused what this
            // save may not write). The session row is updated only after they are in, so concurrent saves into
            // one session do not queue behind each other's vector write.
            let embeddings = vectors?.write.inserted(checkpoint, createdSession: sessionCreated ? newSession : nil) ?? []
            vectors?.sent.embeddings.withLock { $0 += embeddings }
            async let written: Void? = vectors?.write.upsertInserted(embeddings, rowsSaved: false)
            guard try await self.insertIfMissing(checkpoint, on: connection) else {
                // A concurrent save of the same id won: return what it stored (the caller takes back the vector
                // sent meanwhile when its text differs).
                _ = try? await written
                guard let existing = try await self.checkpoint(checkpoint.id, on: connection) else {
                    throw ContextError(.conflict, "checkpoint \(checkpoint.id) was saved and erased concurrently")
                }
                return .existing(existing)
            }
            for audit in SessionRule.audits(audits, sessionCreated: sessionCreated) { try await self.insert(audit, on: connection) }
            _ = try await written
            try await self.recordEmbeddings(embeddings, touching: checkpoint, on: connection)
            return .inserted(checkpoint, sessionCreated: sessionCreated)
        }
    }

    /// Inserts the checkpoint unless its id exists; true if it was inserted.
    func insertIfMissing(_ checkpoint: Checkpoint, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query(
            """
            INSERT INTO checkpoints (
                id, session_id, project, description, content, checkpoint_path, git_commit_hash, git_branch,
                tags, metadata, privacy_level, created_at)
            VALUES (
                \(checkpoint.id.uuid), \(checkpoint.sessionID.uuid), \(checkpoint.project), \(checkpoint.description),
                \(checkpoint.content), \(checkpoint.checkpointPath), \(checkpoint.gitCommit), \(checkpoint.gitBranch),
                \(PostgresJSON.array(checkpoint.tags))::jsonb, \(checkpoint.metadataJSON)::jsonb,
                \(checkpoint.privacyLevel.rawValue), \(PostgresTime(checkpoint.createdAt)))
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """,
            logger: logger
        ).collect().isEmpty == false
    }

    /// Inserts the session unless its id exists; true if it was inserted.
    func insertIfMissing(_ session: Session, on connection: PostgresConnection) async throws -> Bool {
        let exists =
            try await connection.query(
                "SELECT 1 FROM sessions WHERE id = \(session.id.uuid)",
                logger: logger
            ).collect().isEmpty == false
        guard !exists else { return false }
        return try await upsert(session, on: connection)
    }

    private func checkpoint(_ id: ItemID, on connection: PostgresConnection) async throws -> Checkpoint? {
        try await rows(
            "SELECT \(unescaped: PostgresRows.checkpointColumns) FROM checkpoints c WHERE c.id = \(id.uuid)",
            on: connection,
            PostgresRows.checkpoint
        ).first
    }

    package func checkpoint(id: ItemID, touch: Date?) async throws -> Checkpoint? {
        try await withConnection("reading a checkpoint") { connection in
            if let touch {
                try await connection.query(
                    "UPDATE checkpoints SET accessed_at = \(PostgresTime(touch)) WHERE id = \(id.uuid)",
                    logger: self.logger
                )
            }
            return try await self.checkpoint(id, on: connection)
        }
    }

    package func checkpoints(ids: [ItemID]) async throws -> [Checkpoint] {
        guard !ids.isEmpty else { return [] }
        return try await withConnection("reading checkpoints") { connection in
            try await self.rows(
                "SELECT \(unescaped: PostgresRows.checkpointColumns) FROM checkpoints c WHERE c.id = ANY(\(ids.map(\.uuid)))",
                on: connection,
                PostgresRows.checkpoint
            )
        }
    }

    package func checkpoints(matching query: CheckpointQuery) async throws -> Page<Checkpoint> {
        let filter = query.filter
        let cursor = try ListCursor.decode(filter.cursor)
        let project = filter.scope.project
        let limit = filter.limit
        // Checkpoint tags live on the checkpoint (a JSON array): every tag asked for must be in it.
        let tags = PostgresJSON.array(filter.tags)
        return try await withConnection("listing checkpoints") { connection in
            let checkpoints = try await self.rows(
                """
                SELECT \(unescaped: PostgresRows.checkpointColumns) FROM checkpoints c
                WHERE (\(project)::text IS NULL OR c.project = \(project))
                  AND (\(query.sessionID?.uuid)::uuid IS NULL OR c.session_id = \(query.sessionID?.uuid))
                  AND (\(query.gitBranch)::text IS NULL OR c.git_branch = \(query.gitBranch))
                  AND (\(filter.since.map(PostgresTime.init))::timestamptz IS NULL
                       OR c.created_at >= \(filter.since.map(PostgresTime.init)))
                  AND (\(filter.until.map(PostgresTime.init))::timestamptz IS NULL
                       OR c.created_at < \(filter.until.map(PostgresTime.init)))
                  AND (\(cursor?.createdAt)::timestamptz IS NULL
                       OR (c.created_at, c.id) < (\(cursor?.createdAt), \(cursor?.id)))
                  AND (\(filter.tags.isEmpty) OR c.tags @> \(tags)::jsonb)
                ORDER BY c.created_at DESC, c.id DESC
                LIMIT \(limit + 1)
                """,
                on: connection,
                PostgresRows.checkpoint
            )
            return PostgresRows.page(checkpoints, limit: limit, createdAt: \.createdAt, id: \.id)
        }
    }
}

/// The vectors a save sent to the vector index, over every attempt of its transaction.
private final class SentVectors: Sendable {
    let embeddings = Mutex<[ItemEmbedding]>([])
}
