package import ContextCore
package import Foundation
import Synchronization

/// A central repository in memory for unit tests of replication (ContextSync): the documented rules of the
/// real one (sessions last-writer-wins, erased sessions stay erased, pattern merges applied once each and
/// added up) over an `InMemoryDocumentStore`, and a switch that makes every call fail as if the server were
/// unreachable. The real PostgreSQL store is tested against a real server in PostgresStorageTests.
package final class FakeCentral: CentralReplica {
    package let store = InMemoryDocumentStore()
    private let state = Mutex(State())

    private struct State {
        var isDown = false
        var dropsWrites = false
        var purged: Set<ItemID> = []
        var appliedKeys: Set<String> = []
        var audits: [PrivacyAudit] = []
        var calls = 0
    }

    package init() {}

    /// While true, every call throws `backendUnavailable`.
    package var isDown: Bool {
        get { state.withLock { $0.isDown } }
        set { state.withLock { $0.isDown = newValue } }
    }

    /// While true, every write throws `backendUnavailable` as a lost connection would, while reads (and so the
    /// probes) still answer: a server that drops connections under load.
    package var dropsWrites: Bool {
        get { state.withLock { $0.dropsWrites } }
        set { state.withLock { $0.dropsWrites = newValue } }
    }

    /// Calls made (including failed ones).
    package var calls: Int { state.withLock { $0.calls } }

    private func check() throws {
        let down = state.withLock { state in
            state.calls += 1
            return state.isDown
        }
        if down { throw ContextError(.backendUnavailable, "PostgreSQL at fake:5432: connection refused") }
    }

    private func checkWrite() throws {
        try check()
        if state.withLock({ $0.dropsWrites }) {
            throw ContextError(.backendUnavailable, "PostgreSQL at fake:5432: the connection was lost while writing")
        }
    }

    package func saveSession(_ session: Session, audit: PrivacyAudit?) async throws {
        try checkWrite()
        guard !state.withLock({ $0.purged.contains(session.id) }) else { return }
        if let stored = try await store.session(id: session.id, touch: nil) {
            if stored.updatedAt > session.updatedAt { return }
            if stored.updatedAt == session.updatedAt, Self.tieKey(stored) > Self.tieKey(session) { return }
        }
        try await store.saveSession(session, audit: audit)
    }

    private static func tieKey(_ session: Session) -> String {
        [session.status.rawValue, session.title, session.description ?? "", session.contextSummary ?? ""].joined(separator: "|")
    }

    package func session(id: ItemID, touch: Date?) async throws -> Session? {
        try check()
        return try await store.session(id: id, touch: touch)
    }

    package func sessions(matching query: SessionQuery) async throws -> Page<Session> {
        try check()
        return try await store.sessions(matching: query)
    }

    package func purgeSession(id: ItemID) async throws -> Bool {
        try checkWrite()
        state.withLock { _ = $0.purged.insert(id) }
        return try await store.purgeSession(id: id)
    }

    package func saveCheckpoint(
        _ checkpoint: Checkpoint, creating newSession: Session?, audits: [PrivacyAudit], rule: SessionRule
    ) async throws -> CheckpointSaveOutcome {
        try checkWrite()
        if state.withLock({ $0.purged.contains(checkpoint.sessionID) }) {
            throw ContextError(.notFound, "session \(checkpoint.sessionID) was erased", field: "sessionId")
        }
        let outcome = try await store.saveCheckpoint(checkpoint, creating: newSession, audits: audits, rule: rule)
        if case .inserted(_, let sessionCreated) = outcome {
            state.withLock { $0.audits += SessionRule.audits(audits, sessionCreated: sessionCreated) }
        }
        return outcome
    }

    package func checkpoint(id: ItemID, touch: Date?) async throws -> Checkpoint? {
        try check()
        return try await store.checkpoint(id: id, touch: touch)
    }

    package func checkpoints(matching query: CheckpointQuery) async throws -> Page<Checkpoint> {
        try check()
        return try await store.checkpoints(matching: query)
    }

    package func savePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws {
        try checkWrite()
        try await store.savePattern(pattern, audit: audit)
    }

    package func saveAudits(_ audits: [PrivacyAudit]) async throws {
        try checkWrite()
        state.withLock { state in
            for audit in audits where !state.audits.contains(audit) { state.audits.append(audit) }
        }
    }

    /// The audit rows pushed so far.
    package var audits: [PrivacyAudit] { state.withLock { $0.audits } }

    package func replicatePattern(_ pattern: Pattern, frequencyDelta: Int, changeKey: String) async throws {
        try checkWrite()
        guard state.withLock({ $0.appliedKeys.insert(changeKey).inserted }) else { return }
        guard let current = try await store.pattern(id: pattern.id, touch: nil) else {
            try await store.savePattern(pattern, audit: nil)
            return
        }
        var merged = pattern.updatedAt >= current.updatedAt ? pattern : current
        merged.frequency = current.frequency + frequencyDelta
        try await store.savePattern(merged, audit: nil)
    }

    package func pattern(id: ItemID, touch: Date?) async throws -> Pattern? {
        try check()
        return try await store.pattern(id: id, touch: touch)
    }

    package func patterns(matching query: PatternQuery) async throws -> Page<Pattern> {
        try check()
        return try await store.patterns(matching: query)
    }

    package func patterns(ids: [ItemID]) async throws -> [Pattern] {
        try check()
        return try await store.patterns(ids: ids)
    }

    package func sessions(ids: [ItemID]) async throws -> [Session] {
        try check()
        return try await store.sessions(ids: ids)
    }

    package func checkpoints(ids: [ItemID]) async throws -> [Checkpoint] {
        try check()
        return try await store.checkpoints(ids: ids)
    }

    package func searchLexical(_ kind: ItemKind, terms: [String], matchAll: Bool, filter: SearchFilter, limit: Int)
        async throws -> [LexicalHit]
    {
        try check()
        return try await store.searchLexical(kind, terms: terms, matchAll: matchAll, filter: filter, limit: limit)
    }

    package func saveEmbeddings(_ embeddings: [ItemEmbedding]) async throws {
        try checkWrite()
        try await store.saveEmbeddings(embeddings)
    }

    package func deleteEmbeddings(_ kind: ItemKind, ids: [ItemID]) async throws {
        try checkWrite()
        try await store.deleteEmbeddings(kind, ids: ids)
    }

    package func embeddings(of kind: ItemKind, model: String, after cursor: Int64) async throws
        -> (embeddings: [ItemEmbedding], cursor: Int64)
    {
        try check()
        return try await store.embeddings(of: kind, model: model, after: cursor)
    }

    package func itemsWithoutEmbedding(_ kind: ItemKind, model: String, limit: Int) async throws -> [ItemID] {
        try check()
        return try await store.itemsWithoutEmbedding(kind, model: model, limit: limit)
    }

    package func embeddingCoverage(_ kind: ItemKind, model: String) async throws -> (embedded: Int, total: Int) {
        try check()
        return try await store.embeddingCoverage(kind, model: model)
    }

    package func recordContextLoad(_ load: ContextLoad) async throws {
        try check()
        try await store.recordContextLoad(load)
    }

    package func statistics(scope: ProjectScope) async throws -> Statistics {
        try check()
        return try await store.statistics(scope: scope)
    }
}

/// Vectors in memory with an unreachable switch, the ChromaDB side of `FakeCentral`.
package final class FakeVectorIndex: VectorIndex {
    private let state = Mutex<(isDown: Bool, vectors: [ItemReference: ItemEmbedding], upserted: Int, removed: Int)>((false, [:], 0, 0))

    /// How many vectors were written and taken out so far.
    package var writes: (upserted: Int, removed: Int) { state.withLock { ($0.upserted, $0.removed) } }

    package init() {}

    package var isDown: Bool {
        get { state.withLock { $0.isDown } }
        set { state.withLock { $0.isDown = newValue } }
    }

    /// The ids stored for `kind`.
    package func ids(_ kind: ItemKind) -> Set<ItemID> {
        state.withLock { Set($0.vectors.keys.filter { $0.kind == kind }.map(\.id)) }
    }

    private func check() throws {
        if state.withLock({ $0.isDown }) { throw ContextError(.backendUnavailable, "ChromaDB at fake:8000 is unreachable: connection refused") }
    }

    package func upsert(_ embeddings: [ItemEmbedding]) async throws {
        try check()
        state.withLock { state in
            for embedding in embeddings { state.vectors[ItemReference(kind: embedding.kind, id: embedding.id)] = embedding }
            state.upserted += embeddings.count
        }
    }

    package func nearest(to vector: [Float], kind: ItemKind, filter: SearchFilter, limit: Int) async throws
        -> [(id: ItemID, score: Float)]
    {
        try check()
        let candidates = state.withLock { $0.vectors.values.filter { $0.kind == kind } }
        return candidates.map { embedding in
            (embedding.id, zip(embedding.vector, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }.sorted { $0.1 > $1.1 }.prefix(limit).map { (id: $0.0, score: $0.1) }
    }

    package func vectors(_ kind: ItemKind, ids: [ItemID]) async throws -> [ItemID: [Float]] {
        try check()
        return state.withLock { state in
            var found: [ItemID: [Float]] = [:]
            for id in ids { found[id] = state.vectors[ItemReference(kind: kind, id: id)]?.vector }
            return found
        }
    }

    package func remove(_ kind: ItemKind, ids: [ItemID]) async throws {
        try check()
        state.withLock { state in
            for id in ids { state.vectors[ItemReference(kind: kind, id: id)] = nil }
            state.removed += ids.count
        }
    }

    package func removeCheckpoints(ofSession session: ItemID) async throws {
        try check()
        state.withLock { state in
            let erased = state.vectors.filter { $0.key.kind == .checkpoint && $0.value.sessionID == session }.keys
            for reference in erased { state.vectors[reference] = nil }
            state.removed += erased.count
        }
    }

    package func count(_ kind: ItemKind) async throws -> Int {
        try check()
        return state.withLock { $0.vectors.keys.filter { $0.kind == kind }.count }
    }
}
