package import Foundation

/// Where sessions, checkpoints and patterns are kept. SQLite locally, PostgreSQL centrally; an in-memory
/// fake in tests. Every backend passes the contract suite in ContextTesting.
///
/// - Important: Reads honour the `ProjectScope` they are given; a write commits before it returns (that
///   commit is the durability point of an acknowledged response). Errors are `ContextError`.
package protocol DocumentStore: Sendable {
    /// Inserts or replaces a session by id (tags replaced too), with its privacy audit row.
    func saveSession(_ session: Session, audit: PrivacyAudit?) async throws
    /// The session, or nil; `touch` sets `accessed_at`.
    func session(id: ItemID, touch: Date?) async throws -> Session?
    func sessions(matching query: SessionQuery) async throws -> Page<Session>
    /// Erases the session, its checkpoints, tag links and embeddings, and anonymises its audit rows.
    /// Returns false if it did not exist.
    func purgeSession(id: ItemID) async throws -> Bool

    /// Inserts a checkpoint into the session it names, in one transaction. When that session exists, `rule`
    /// checks it (throwing what `SessionRule.check` throws) and the checkpoint takes its project; when it
    /// does not, `newSession` (if given) is created first, and its audit row among `audits` is written only
    /// then. If the checkpoint id exists, nothing is written and the stored checkpoint is returned.
    func saveCheckpoint(
        _ checkpoint: Checkpoint,
        creating newSession: Session?,
        audits: [PrivacyAudit],
        rule: SessionRule
    ) async throws -> CheckpointSaveOutcome
    /// The same save, with the vectors of what it inserts (the checkpoint's, and its session's when it creates
    /// it: `VectorWrite.inserted`) written by `vectors` and recorded (`saveEmbeddings`) with the rows. A store
    /// that can (PostgreSQL) writes the vectors while it writes the rows and commits only once they are in, so
    /// a failure leaves neither (a vector that got in is removed again). The outcome `.existing` records no
    /// vector; a vector sent before the store found the id taken is removed again unless the stored text is
    /// the same. A failure of the vector index is thrown as `VectorWriteFailure`.
    func saveCheckpoint(
        _ checkpoint: Checkpoint,
        creating newSession: Session?,
        audits: [PrivacyAudit],
        rule: SessionRule,
        vectors: VectorWrite
    ) async throws -> CheckpointSaveOutcome
    func checkpoint(id: ItemID, touch: Date?) async throws -> Checkpoint?
    func checkpoints(matching query: CheckpointQuery) async throws -> Page<Checkpoint>

    /// Inserts or replaces a pattern by id (tags replaced too), with its privacy audit row.
    func savePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws
    /// Saves a pattern merged into (its fields replace the stored ones) and adds 1 to the stored frequency in
    /// the same transaction, so merges made at once by several processes all count. Returns the pattern as
    /// stored.
    func mergePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws -> Pattern
    /// The pattern, or nil; `touch` sets `last_used_at`.
    func pattern(id: ItemID, touch: Date?) async throws -> Pattern?
    func patterns(matching query: PatternQuery) async throws -> Page<Pattern>
    /// Several patterns by id, in no particular order (missing ids are skipped).
    func patterns(ids: [ItemID]) async throws -> [Pattern]
    func sessions(ids: [ItemID]) async throws -> [Session]
    func checkpoints(ids: [ItemID]) async throws -> [Checkpoint]

    /// Full-text search (bm25) over one kind of item; `terms` are plain words, matched as all-of when
    /// `matchAll` is true, else any-of.
    func searchLexical(_ kind: ItemKind, terms: [String], matchAll: Bool, filter: SearchFilter, limit: Int) async throws
        -> [LexicalHit]
    /// Items holding every term; when none does and there are several terms, items holding any of them; with
    /// the stored items of the best `prefetch` hits. A store may run it all in one read (the default runs
    /// `searchLexical` twice and reads no items: the caller reads what it lacks).
    func searchLexicalAllElseAny(_ kind: ItemKind, terms: [String], filter: SearchFilter, limit: Int, prefetch: Int)
        async throws -> LexicalResult

    /// Stores (or replaces) the vectors of items by their model. Each write advances the store's change
    /// cursor, so `embeddings(of:model:after:)` sees it as new.
    func saveEmbeddings(_ embeddings: [ItemEmbedding]) async throws
    /// Forgets the vectors of these items by every model, so `itemsWithoutEmbedding` lists them again (a
    /// vector that could not be refreshed must not stand for changed text).
    func deleteEmbeddings(_ kind: ItemKind, ids: [ItemID]) async throws
    /// The vectors of `kind` by `model` written after `cursor` (0: all), with the item's project, pattern
    /// type and session joined in, and the cursor to pass next time.
    func embeddings(of kind: ItemKind, model: String, after cursor: Int64) async throws
        -> (embeddings: [ItemEmbedding], cursor: Int64)
    /// Stored items of `kind` that have no vector by `model`, oldest first, at most `limit`.
    func itemsWithoutEmbedding(_ kind: ItemKind, model: String, limit: Int) async throws -> [ItemID]
    /// How many items of `kind` have a vector by `model`, and how many items there are.
    func embeddingCoverage(_ kind: ItemKind, model: String) async throws -> (embedded: Int, total: Int)

    /// Records a `loadContext` call and marks the returned patterns used (`reuse_count` + 1, `last_used_at`).
    func recordContextLoad(_ load: ContextLoad) async throws
    func statistics(scope: ProjectScope) async throws -> Statistics
}

extension DocumentStore {
    package func searchLexicalAllElseAny(_ kind: ItemKind, terms: [String], filter: SearchFilter, limit: Int, prefetch: Int)
        async throws -> LexicalResult
    {
        let all = try await searchLexical(kind, terms: terms, matchAll: true, filter: filter, limit: limit)
        guard all.isEmpty, terms.count > 1 else { return LexicalResult(hits: all) }
        return LexicalResult(hits: try await searchLexical(kind, terms: terms, matchAll: false, filter: filter, limit: limit))
    }

    /// Saves a checkpoint without conditions on its session (replication, tests).
    package func saveCheckpoint(_ checkpoint: Checkpoint, creating newSession: Session?, audits: [PrivacyAudit])
        async throws -> CheckpointSaveOutcome
    {
        try await saveCheckpoint(checkpoint, creating: newSession, audits: audits, rule: .none)
    }

    /// One step after the other: the rows, then the vectors, then their record. A failure of the vectors leaves
    /// the rows saved (`VectorWriteFailure.rowsSaved`).
    package func saveCheckpoint(
        _ checkpoint: Checkpoint,
        creating newSession: Session?,
        audits: [PrivacyAudit],
        rule: SessionRule,
        vectors: VectorWrite
    ) async throws -> CheckpointSaveOutcome {
        let outcome = try await saveCheckpoint(checkpoint, creating: newSession, audits: audits, rule: rule)
        guard case .inserted(let saved, let sessionCreated) = outcome else { return outcome }
        let embeddings = vectors.inserted(saved, createdSession: sessionCreated ? newSession : nil)
        try await vectors.upsertInserted(embeddings, rowsSaved: true)
        if !embeddings.isEmpty { try await saveEmbeddings(embeddings) }
        return outcome
    }

    /// For stores that serve one process (tests): read, add 1, save.
    package func mergePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws -> Pattern {
        var merged = pattern
        if let stored = try await self.pattern(id: pattern.id, touch: nil) { merged.frequency = stored.frequency + 1 }
        try await savePattern(merged, audit: audit)
        return merged
    }
}
