package import ContextCore
package import Foundation
import Synchronization

/// A `DocumentStore` in plain Swift collections, for unit tests of the domain. Lexical search is a simple
/// term-overlap count; listings use the same (created, id) order and cursor rule as the real stores.
package final class InMemoryDocumentStore: DocumentStore {
    private struct State {
        var sessions: [ItemID: Session] = [:]
        var checkpoints: [ItemID: Checkpoint] = [:]
        var patterns: [ItemID: Pattern] = [:]
        var audits: [PrivacyAudit] = []
        var loads: [ContextLoad] = []
        /// Keyed by kind, id and model; the Int64 is the change sequence of the last write.
        var embeddings: [String: (Int64, ItemEmbedding)] = [:]
        var sequence: Int64 = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Every audit row written (for assertions).
    package var audits: [PrivacyAudit] { state.withLock { $0.audits } }
    package var contextLoads: [ContextLoad] { state.withLock { $0.loads } }

    package func saveSession(_ session: Session, audit: PrivacyAudit?) async throws {
        state.withLock { state in
            state.sessions[session.id] = session
            if let audit { state.audits.append(audit) }
        }
    }

    package func session(id: ItemID, touch: Date?) async throws -> Session? {
        state.withLock { state in
            if let touch { state.sessions[id]?.accessedAt = touch }
            return state.sessions[id]
        }
    }

    package func sessions(ids: [ItemID]) async throws -> [Session] {
        state.withLock { state in ids.compactMap { state.sessions[$0] } }
    }

    package func sessions(matching query: SessionQuery) async throws -> Page<Session> {
        let all = state.withLock { Array($0.sessions.values) }
        let filtered = all.filter { session in
            (query.status.map { session.status == $0 } ?? (session.status != .deleted))
                && Self.matches(query.filter, project: session.project, tags: session.tags, createdAt: session.createdAt)
        }
        return try Self.page(filtered, filter: query.filter, createdAt: \.createdAt, id: \.id)
    }

    package func purgeSession(id: ItemID) async throws -> Bool {
        state.withLock { state in
            guard state.sessions.removeValue(forKey: id) != nil else { return false }
            let checkpointIDs = state.checkpoints.values.filter { $0.sessionID == id }.map(\.id)
            for checkpoint in checkpointIDs { state.checkpoints[checkpoint] = nil }
            state.embeddings = state.embeddings.filter { _, entry in
                entry.1.id != id && !checkpointIDs.contains(entry.1.id)
            }
            for index in state.audits.indices where state.audits[index].itemID == id || checkpointIDs.contains(state.audits[index].itemID) {
                state.audits[index].detected = [:]
                state.audits[index].redacted = [:]
            }
            return true
        }
    }

    package func saveCheckpoint(
        _ checkpoint: Checkpoint, creating newSession: Session?, audits: [PrivacyAudit], rule: SessionRule
    ) async throws -> CheckpointSaveOutcome {
        try state.withLock { state throws(ContextError) in
            if let existing = state.checkpoints[checkpoint.id] { return .existing(existing) }
            var checkpoint = checkpoint
            var sessionCreated = false
            if let session = state.sessions[checkpoint.sessionID] {
                try rule.check(project: session.project, status: session.status)
                if rule.joinsProject { checkpoint.project = session.project }
            } else if let newSession {
                state.sessions[newSession.id] = newSession
                sessionCreated = true
            }
            state.checkpoints[checkpoint.id] = checkpoint
            state.audits.append(contentsOf: SessionRule.audits(audits, sessionCreated: sessionCreated))
            return .inserted(checkpoint, sessionCreated: sessionCreated)
        }
    }

    package func checkpoint(id: ItemID, touch: Date?) async throws -> Checkpoint? {
        state.withLock { $0.checkpoints[id] }
    }

    package func checkpoints(ids: [ItemID]) async throws -> [Checkpoint] {
        state.withLock { state in ids.compactMap { state.checkpoints[$0] } }
    }

    package func checkpoints(matching query: CheckpointQuery) async throws -> Page<Checkpoint> {
        let all = state.withLock { Array($0.checkpoints.values) }
        let filtered = all.filter { checkpoint in
            (query.sessionID.map { checkpoint.sessionID == $0 } ?? true)
                && (query.gitBranch.map { checkpoint.gitBranch == $0 } ?? true)
                && Self.matches(query.filter, project: checkpoint.project, tags: checkpoint.tags, createdAt: checkpoint.createdAt)
        }
        return try Self.page(filtered, filter: query.filter, createdAt: \.createdAt, id: \.id)
    }

    package func savePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws {
        state.withLock { state in
            state.patterns[pattern.id] = pattern
            if let audit { state.audits.append(audit) }
        }
    }

    package func pattern(id: ItemID, touch: Date?) async throws -> Pattern? {
        state.withLock { state in
            if let touch { state.patterns[id]?.lastUsedAt = touch }
            return state.patterns[id]
        }
    }

    package func patterns(ids: [ItemID]) async throws -> [Pattern] {
        state.withLock { state in ids.compactMap { state.patterns[$0] } }
    }

    package func patterns(matching query: PatternQuery) async throws -> Page<Pattern> {
        let all = state.withLock { Array($0.patterns.values) }
        let filtered = all.filter { pattern in
            (query.patternType.map { pattern.patternType == $0 } ?? true)
                && (query.minConfidence.map { pattern.confidence >= $0 } ?? true)
                && (query.includeDeprecated || !pattern.deprecated)
                && Self.matches(query.filter, project: pattern.project, tags: pattern.tags, createdAt: pattern.createdAt)
        }
        return try Self.page(filtered, filter: query.filter, createdAt: \.createdAt, id: \.id)
    }

    package func searchLexical(_ kind: ItemKind, terms: [String], matchAll: Bool, filter: SearchFilter, limit: Int)
        async throws -> [LexicalHit]
    {
        let items: [(ItemID, String, String)] = state.withLock { state in
            switch kind {
            case .session:
                state.sessions.values.filter { $0.status != .deleted }.map { ($0.id, $0.project, FoundItem.session($0).searchableText) }
            case .checkpoint:
                state.checkpoints.values.filter { filter.sessionID == nil || $0.sessionID == filter.sessionID }
                    .map { ($0.id, $0.project, FoundItem.checkpoint($0).searchableText) }
            case .pattern:
                state.patterns.values.filter { !$0.deprecated && (filter.patternType == nil || $0.patternType == filter.patternType) }
                    .map { ($0.id, $0.project, FoundItem.pattern($0).searchableText) }
            }
        }
        let wanted = Set(terms)
        return items.compactMap { id, project, text -> LexicalHit? in
            guard filter.scope.contains(project) else { return nil }
            let overlap = TextTerms.termSet(text).intersection(wanted).count
            guard overlap > 0, !matchAll || overlap == wanted.count else { return nil }
            return LexicalHit(id: id, score: Double(overlap) / Double(overlap + 1))
        }
        .sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        .prefix(limit).map { $0 }
    }

    package func saveEmbeddings(_ embeddings: [ItemEmbedding]) async throws {
        state.withLock { state in
            for embedding in embeddings {
                state.sequence += 1
                state.embeddings["\(embedding.kind)/\(embedding.id)/\(embedding.model)"] = (state.sequence, embedding)
            }
        }
    }

    package func deleteEmbeddings(_ kind: ItemKind, ids: [ItemID]) async throws {
        let doomed = Set(ids)
        state.withLock { state in
            state.embeddings = state.embeddings.filter { _, entry in !(entry.1.kind == kind && doomed.contains(entry.1.id)) }
        }
    }

    package func embeddings(of kind: ItemKind, model: String, after cursor: Int64) async throws
        -> (embeddings: [ItemEmbedding], cursor: Int64)
    {
        state.withLock { state in
            let fresh = state.embeddings.values.filter { $0.0 > cursor && $0.1.kind == kind && $0.1.model == model }
                .sorted { $0.0 < $1.0 }
            let joined: [ItemEmbedding] = fresh.compactMap { _, embedding in
                var embedding = embedding
                switch kind {
                case .session:
                    guard let session = state.sessions[embedding.id] else { return nil }
                    embedding.project = session.project
                case .checkpoint:
                    guard let checkpoint = state.checkpoints[embedding.id] else { return nil }
                    embedding.project = checkpoint.project
                    embedding.sessionID = checkpoint.sessionID
                case .pattern:
                    guard let pattern = state.patterns[embedding.id] else { return nil }
                    embedding.project = pattern.project
                    embedding.patternType = pattern.patternType
                }
                return embedding
            }
            return (joined, max(cursor, state.sequence))
        }
    }

    package func itemsWithoutEmbedding(_ kind: ItemKind, model: String, limit: Int) async throws -> [ItemID] {
        state.withLock { state in
            let items: [(ItemID, Date)] =
                switch kind {
                case .session: state.sessions.values.map { ($0.id, $0.createdAt) }
                case .checkpoint: state.checkpoints.values.map { ($0.id, $0.createdAt) }
                case .pattern: state.patterns.values.map { ($0.id, $0.createdAt) }
                }
            return items.filter { state.embeddings["\(kind)/\($0.0)/\(model)"] == nil }
                .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
                .prefix(limit).map(\.0)
        }
    }

    package func embeddingCoverage(_ kind: ItemKind, model: String) async throws -> (embedded: Int, total: Int) {
        state.withLock { state in
            let ids: [ItemID] =
                switch kind {
                case .session: Array(state.sessions.keys)
                case .checkpoint: Array(state.checkpoints.keys)
                case .pattern: Array(state.patterns.keys)
                }
            return (ids.filter { state.embeddings["\(kind)/\($0)/\(model)"] != nil }.count, ids.count)
        }
    }

    package func recordContextLoad(_ load: ContextLoad) async throws {
        state.withLock { state in
            state.loads.append(load)
            for id in load.patternIDs {
                state.patterns[id]?.reuseCount += 1
                state.patterns[id]?.lastUsedAt = load.createdAt
            }
        }
    }

    package func statistics(scope: ProjectScope) async throws -> Statistics {
        state.withLock { state in
            var statistics = Statistics()
            for session in state.sessions.values where scope.contains(session.project) {
                statistics.sessionsByStatus[session.status, default: 0] += 1
            }
            statistics.checkpoints = state.checkpoints.values.filter { scope.contains($0.project) }.count
            for pattern in state.patterns.values where scope.contains(pattern.project) {
                statistics.patternsByType[pattern.patternType, default: 0] += 1
            }
            statistics.contextLoads = state.loads.filter { scope.contains($0.project) }.count
            return statistics
        }
    }

    private static func matches(_ filter: ListFilter, project: String, tags: [String], createdAt: Date) -> Bool {
        filter.scope.contains(project) && filter.tags.allSatisfy(tags.contains)
            && (filter.since.map { createdAt >= $0 } ?? true) && (filter.until.map { createdAt < $0 } ?? true)
    }

    /// Newest first; the cursor is "milliseconds|id" of the last item, as in the SQLite store.
    private static func page<Item>(
        _ items: [Item],
        filter: ListFilter,
        createdAt: KeyPath<Item, Date>,
        id: KeyPath<Item, ItemID>
    ) throws -> Page<Item> {
        func key(_ item: Item) -> (Int64, String) {
            (Int64((item[keyPath: createdAt].timeIntervalSince1970 * 1000).rounded()), item[keyPath: id].description)
        }
        var sorted = items.sorted { key($0) > key($1) }
        if let cursor = filter.cursor {
            let parts = cursor.split(separator: "|").map(String.init)
            guard parts.count == 2, let milliseconds = Int64(parts[0]) else {
                throw ContextError.invalid("cursor", "is not a cursor returned by this server")
            }
            sorted = sorted.filter { key($0) < (milliseconds, parts[1]) }
        }
        let page = Array(sorted.prefix(filter.limit))
        let next = sorted.count > filter.limit ? page.last.map { "\(key($0).0)|\(key($0).1)" } : nil
        return Page(items: page, nextCursor: next)
    }
}
