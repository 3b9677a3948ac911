package import ContextCore
package import Foundation

/// The repository the services use when a central repository is configured (DESIGN.md §6): writes go to the
/// local database (each with its outbox change, in one transaction); reads go to the central repository
/// while it is reachable and holds everything written here, else to the local database. What is read from
/// the central repository is kept locally (bounded) so it stays readable offline.
package final class SyncedDocumentStore: DocumentStore {
    package let local: any LocalReplica
    package let central: any CentralReplica
    package let replicator: Replicator

    package init(local: any LocalReplica, central: any CentralReplica, replicator: Replicator) {
        self.local = local
        self.central = central
        self.replicator = replicator
    }

    /// Central when `readLocation` says so (falling back to local if it fails on the way), else local.
    private func read<Value: Sendable>(
        central read: @escaping @Sendable (any CentralReplica) async throws -> Value,
        local fallback: () async throws -> Value,
        keep: (Value) -> [FoundItem] = { _ in [] }
    ) async throws -> Value {
        if await replicator.readLocation() == .central {
            let central = central
            do {
                let value = try await replicator.call(replicator.database) { try await read(central) }
                let items = keep(value)
                if !items.isEmpty {
                    try? await local.cache(items)
                    await replicator.cacheVectors(of: items)
                }
                return value
            } catch let error as ContextError where error.code == .backendUnavailable {
                // Unreachable after all: the breaker is open now, and the local database answers.
            }
        }
        return try await fallback()
    }

    // MARK: Writes: local, with an outbox change

    package func saveSession(_ session: Session, audit: PrivacyAudit?) async throws {
        try await local.saveSession(session, audit: audit)
    }

    package func saveCheckpoint(
        _ checkpoint: Checkpoint, creating newSession: Session?, audits: [PrivacyAudit], rule: SessionRule
    ) async throws -> CheckpointSaveOutcome {
        // A named session this database lacks may be central only (made elsewhere): reading it (central when
        // reachable) keeps a copy here, which the local write then checks and joins rather than making a new
        // session of the same id. One held here is checked as it is here (a central round trip per save would
        // cost more than the rare case it covers: a session soft-deleted on another machine a moment ago).
        if rule.named, try await local.sessions(ids: [checkpoint.sessionID]).isEmpty,
            let found = try await session(id: checkpoint.sessionID, touch: nil)
        {
            // The read keeps a copy on the way, but ignores a failure to: a session made here with the same id
            // would replace the central one when pushed, so a copy that cannot be kept fails the save.
            try await local.cache([.session(found)])
        }
        return try await local.saveCheckpoint(checkpoint, creating: newSession, audits: audits, rule: rule)
    }

    package func savePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws {
        try await local.savePattern(pattern, audit: audit)
    }

    package func mergePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws -> Pattern {
        try await local.mergePattern(pattern, audit: audit)
    }

    package func purgeSession(id: ItemID) async throws -> Bool {
        try await local.purgeSession(id: id)
    }

    package func saveEmbeddings(_ embeddings: [ItemEmbedding]) async throws {
        try await local.saveEmbeddings(embeddings)
    }

    package func deleteEmbeddings(_ kind: ItemKind, ids: [ItemID]) async throws {
        try await local.deleteEmbeddings(kind, ids: ids)
    }

    package func embeddings(of kind: ItemKind, model: String, after cursor: Int64) async throws
        -> (embeddings: [ItemEmbedding], cursor: Int64)
    {
        try await local.embeddings(of: kind, model: model, after: cursor)
    }

    package func itemsWithoutEmbedding(_ kind: ItemKind, model: String, limit: Int) async throws -> [ItemID] {
        try await local.itemsWithoutEmbedding(kind, model: model, limit: limit)
    }

    package func embeddingCoverage(_ kind: ItemKind, model: String) async throws -> (embedded: Int, total: Int) {
        try await local.embeddingCoverage(kind, model: model)
    }

    /// Recorded locally, and centrally too when it is reachable (best effort: a load made offline is this
    /// machine's record only; it is not queued).
    package func recordContextLoad(_ load: ContextLoad) async throws {
        try await local.recordContextLoad(load)
        guard replicator.isOnline else { return }
        let central = central
        _ = try? await replicator.call(replicator.database) { try await central.recordContextLoad(load) }
    }

    // MARK: Reads: central when reachable, else local

    package func session(id: ItemID, touch: Date?) async throws -> Session? {
        try await read(
            central: { try await $0.session(id: id, touch: touch) },
            local: { try await local.session(id: id, touch: touch) },
            keep: { $0.map { [.session($0)] } ?? [] }
        )
    }

    package func sessions(matching query: SessionQuery) async throws -> Page<Session> {
        try await read(
            central: { try await $0.sessions(matching: query) },
            local: { try await local.sessions(matching: query) },
            keep: { $0.items.map(FoundItem.session) }
        )
    }

    package func checkpoint(id: ItemID, touch: Date?) async throws -> Checkpoint? {
        try await read(
            central: { try await $0.checkpoint(id: id, touch: touch) },
            local: { try await local.checkpoint(id: id, touch: touch) },
            keep: { $0.map { [.checkpoint($0)] } ?? [] }
        )
    }

    package func checkpoints(matching query: CheckpointQuery) async throws -> Page<Checkpoint> {
        try await read(
            central: { try await $0.checkpoints(matching: query) },
            local: { try await local.checkpoints(matching: query) },
            keep: { $0.items.map(FoundItem.checkpoint) }
        )
    }

    package func pattern(id: ItemID, touch: Date?) async throws -> Pattern? {
        try await read(
            central: { try await $0.pattern(id: id, touch: touch) },
            local: { try await local.pattern(id: id, touch: touch) },
            keep: { $0.map { [.pattern($0)] } ?? [] }
        )
    }

    package func patterns(matching query: PatternQuery) async throws -> Page<Pattern> {
        try await read(
            central: { try await $0.patterns(matching: query) },
            local: { try await local.patterns(matching: query) },
            keep: { $0.items.map(FoundItem.pattern) }
        )
    }

    package func patterns(ids: [ItemID]) async throws -> [Pattern] {
        try await read(
            central: { try await $0.patterns(ids: ids) },
            local: { try await local.patterns(ids: ids) },
            keep: { $0.map(FoundItem.pattern) }
        )
    }

    package func sessions(ids: [ItemID]) async throws -> [Session] {
        try await read(
            central: { try await $0.sessions(ids: ids) },
            local: { try await local.sessions(ids: ids) },
            keep: { $0.map(FoundItem.session) }
        )
    }

    package func checkpoints(ids: [ItemID]) async throws -> [Checkpoint] {
        try await read(
            central: { try await $0.checkpoints(ids: ids) },
            local: { try await local.checkpoints(ids: ids) },
            keep: { $0.map(FoundItem.checkpoint) }
        )
    }

    package func searchLexical(_ kind: ItemKind, terms: [String], matchAll: Bool, filter: SearchFilter, limit: Int)
        async throws -> [LexicalHit]
    {
        try await read(
            central: { try await $0.searchLexical(kind, terms: terms, matchAll: matchAll, filter: filter, limit: limit) },
            local: { try await local.searchLexical(kind, terms: terms, matchAll: matchAll, filter: filter, limit: limit) }
        )
    }

    package func searchLexicalAllElseAny(_ kind: ItemKind, terms: [String], filter: SearchFilter, limit: Int, prefetch: Int)
        async throws -> LexicalResult
    {
        try await read(
            central: { try await $0.searchLexicalAllElseAny(kind, terms: terms, filter: filter, limit: limit, prefetch: prefetch) },
            local: { try await local.searchLexicalAllElseAny(kind, terms: terms, filter: filter, limit: limit, prefetch: prefetch) },
            keep: { $0.items }
        )
    }

    package func statistics(scope: ProjectScope) async throws -> Statistics {
        try await read(
            central: { try await $0.statistics(scope: scope) },
            local: { try await local.statistics(scope: scope) }
        )
    }
}

// MARK: Bulk copying

extension SyncedDocumentStore: RecordTransfer {
    /// Into the local database, each inserted item with its outbox change, pushed at once like any write.
    /// Context loads are not queued (as with `recordContextLoad`): they are copied centrally once their
    /// items are there, when it is reachable.
    package func importRecords(_ batch: RecordBatch) async throws -> ImportCounts {
        guard let transfer = local as? any RecordTransfer else { throw ContextError(.unsupported, "the local database cannot import records") }
        let counts = try await transfer.importRecords(batch)
        guard !batch.contextLoads.isEmpty, let centralTransfer = central as? any RecordTransfer else { return counts }
        guard await replicator.push(counts.insertedItems) == .central || counts.insertedItems.isEmpty, replicator.isOnline else {
            return counts
        }
        var onlyLoads = RecordBatch()
        onlyLoads.contextLoads = batch.contextLoads
        let loads = onlyLoads
        _ = try? await replicator.call(replicator.database) { try await centralTransfer.importRecords(loads) }
        return counts
    }

    /// From the central repository when reads go there, else from the local database.
    package func exportRecords(_ kind: RecordKind, scope: ProjectScope, after cursor: String?, limit: Int) async throws
        -> (batch: RecordBatch, next: String?)
    {
        try await read(
            central: { central in
                guard let transfer = central as? any RecordTransfer else {
                    throw ContextError(.unsupported, "the central repository cannot export records")
                }
                return try await transfer.exportRecords(kind, scope: scope, after: cursor, limit: limit)
            },
            local: {
                guard let transfer = local as? any RecordTransfer else { throw ContextError(.unsupported, "the local database cannot export records") }
                return try await transfer.exportRecords(kind, scope: scope, after: cursor, limit: limit)
            }
        )
    }
}
