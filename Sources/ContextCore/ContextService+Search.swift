import Foundation

/// A search over one or more kinds of items.
package struct SearchRequest: Sendable, Hashable {
    package var query: String
    package var kinds: [ItemKind]
    /// nil: the best mode available (lexical until the embedding model exists).
    package var mode: SearchMode?
    package var scope: ProjectScope
    package var patternType: PatternType?
    package var sessionID: ItemID?
    package var limit: Int
    package var minScore: Double?

    package init(query: String, kinds: [ItemKind], scope: ProjectScope, limit: Int) {
        self.query = query
        self.kinds = kinds
        self.scope = scope
        self.limit = limit
    }
}

/// A found item.
package enum FoundItem: Sendable, Hashable {
    case session(Session)
    case checkpoint(Checkpoint)
    case pattern(Pattern)

    package var kind: ItemKind {
        switch self {
        case .session: .session
        case .checkpoint: .checkpoint
        case .pattern: .pattern
        }
    }
}

/// One hit: the item, its score (0…1, higher is better) and the score of each signal that produced it.
package struct SearchHit: Sendable, Hashable {
    package var item: FoundItem
    package var score: Double
    package var signals: [String: Double]
}

package struct SearchResults: Sendable {
    package var hits: [SearchHit]
    /// The mode actually used.
    package var mode: SearchMode
    package var source: StorageLocation
}

extension ContextService {
    /// The mode a search runs in: hybrid by default when the model is there, else lexical; an explicit
    /// `semantic` or `hybrid` without the model is a clear error.
    package func resolveMode(_ requested: SearchMode?) throws(ContextError) -> SearchMode {
        switch requested {
        case nil: return semantic == nil ? .lexical : .hybrid
        case .lexical?: return .lexical
        case .semantic?, .hybrid?:
            guard semantic != nil else {
                throw ContextError(
                    .unsupported,
                    "mode '\(requested!.rawValue)' needs the embedding model, which is not installed (run scripts/fetch-model.sh or set MEMCTX_MODEL_DIR); use mode 'lexical' or omit mode",
                    field: "mode"
                )
            }
            return requested!
        }
    }

    package func search(_ request: SearchRequest) async throws(ContextError) -> SearchResults {
        var mode = try resolveMode(request.mode)
        let query = try Validate.text(request.query, field: "query", maximum: Limits.query)
        let terms = TextTerms.terms(in: query)
        if let minScore = request.minScore { _ = try Validate.unitInterval(minScore, field: "minScore") }
        let filter = SearchFilter(scope: request.scope, patternType: request.patternType, sessionID: request.sessionID)
        // Deleted sessions are filtered out after the fact: fetch a little more than asked.
        let depth = mode == .lexical ? request.limit + 10 : max(request.limit + 10, HybridRanking.depth)
        // The meaning side (the query's embedding on the model's thread, then the nearest vectors of each kind)
        // runs while the lexical searches do.
        let requestedMode = mode
        async let semantic = semanticCandidates(query, mode: requestedMode, kinds: request.kinds, filter: filter, limit: depth)
        var lexicalByKind: [ItemKind: LexicalResult] = [:]
        var lexicalError: ContextError?
        if mode != .semantic, !terms.isEmpty {
            do {
                for kind in request.kinds {
                    // The rows of the hits read first come with them (one read, where the store can).
                    lexicalByKind[kind] = try await lexicalCandidates(
                        kind, terms: terms, filter: filter, limit: depth, prefetch: request.limit + 5)
                }
            } catch {
                lexicalError = error
            }
        }
        var nearestByKind: [ItemKind: [(id: ItemID, score: Float)]] = [:]
        switch await semantic {
        case .success(let found): nearestByKind = found ?? [:]
        case .failure(.model(let error)):
            // The model failed to load or run: a search that did not ask for a mode still answers, lexically.
            guard request.mode == nil else {
                throw ContextError(.backendUnavailable, "the embedding model failed (see health); use mode 'lexical'", field: "mode", underlying: error)
            }
            mode = .lexical
        case .failure(.index(let error)): throw error
        }
        if let lexicalError { throw lexicalError }
        if mode == .lexical, terms.isEmpty {
            throw .invalid("query", "must contain at least one word of two or more letters or digits")
        }
        var hits: [SearchHit] = []
        for kind in request.kinds {
            let lexical = mode == .semantic ? nil : lexicalByKind[kind]
            let nearest = mode == .lexical ? [] : nearestByKind[kind] ?? []
            let ranking = HybridRanking(
                mode: mode, lexicalWeight: configuration.lexicalWeight, lexical: lexical?.hits ?? [], semantic: nearest)
            hits += try await rankedHits(
                kind, ranking: ranking, terms: terms, limit: request.limit, minScore: request.minScore, read: lexical?.items ?? [])
        }
        hits.sort { $0.score != $1.score ? $0.score > $1.score : $0.item.id < $1.item.id }
        return SearchResults(hits: Array(hits.prefix(request.limit)), mode: mode, source: configuration.location)
    }

    /// Why the meaning side of a search failed: the model (a search without a mode falls back to lexical) or
    /// the vector index (the search fails).
    private enum SemanticFailure: Error {
        case model(any Error)
        case index(ContextError)
    }

    /// The nearest items of each kind to the query's vector, when the mode needs them (nil otherwise).
    private func semanticCandidates(
        _ query: String, mode: SearchMode, kinds: [ItemKind], filter: SearchFilter, limit: Int
    ) async -> Result<[ItemKind: [(id: ItemID, score: Float)]]?, SemanticFailure> {
        guard mode != .lexical, let semantic else { return .success(nil) }
        let vector: [Float]
        do {
            vector = try await semantic.vector(for: query)
        } catch {
            return .failure(.model(error))
        }
        var found: [ItemKind: [(id: ItemID, score: Float)]] = [:]
        for kind in kinds {
            do {
                found[kind] = try await storage("searching by meaning") {
                    try await semantic.nearest(to: vector, kind: kind, filter: filter, limit: limit)
                }
            } catch {
                return .failure(.index(error))
            }
        }
        return .success(found)
    }

    /// The best `limit` hits of one kind. Items are read in chunks, highest possible score first, and reading
    /// stops once the `limit`-th exact score beats every unread candidate's bound: a search reads about
    /// `limit` items rather than all 100 candidates.
    private func rankedHits(
        _ kind: ItemKind, ranking: HybridRanking, terms: [String], limit: Int, minScore: Double?, read: [FoundItem]
    ) async throws(ContextError) -> [SearchHit] {
        var known = Dictionary(read.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let candidates = ranking.candidates()
        var hits: [SearchHit] = []
        var next = 0
        while next < candidates.count {
            if hits.count >= limit, hits[limit - 1].score >= candidates[next].bound { break }
            if let minScore, candidates[next].bound < minScore { break }
            let chunk = candidates[next..<min(candidates.count, next + limit + 5)]
            next += chunk.count
            let missing = chunk.map(\.id).filter { known[$0] == nil }
            for item in try await items(kind, ids: missing) { known[item.id] = item }
            for item in chunk.compactMap({ known[$0.id] }) where item.isLive {
                let lexicalScore = ranking.bm25(item.id).map { Self.lexicalScore(bm25: $0, terms: terms, text: item.searchableText) }
                let (score, signals) = ranking.score(item.id, lexicalScore: lexicalScore)
                if let minScore, score < minScore { continue }
                hits.append(SearchHit(item: item, score: score, signals: signals))
            }
            hits.sort { $0.score != $1.score ? $0.score > $1.score : $0.item.id < $1.item.id }
        }
        return Array(hits.prefix(limit))
    }

    /// Items holding every term first (fast, precise); any of the discriminating terms when none holds them all.
    private func lexicalCandidates(_ kind: ItemKind, terms: [String], filter: SearchFilter, limit: Int, prefetch: Int)
        async throws(ContextError) -> LexicalResult
    {
        guard !terms.isEmpty else { return LexicalResult(hits: []) }
        return try await storage("searching") {
            try await store.searchLexicalAllElseAny(kind, terms: terms, filter: filter, limit: limit, prefetch: prefetch)
        }
    }

    /// The stored items of `kind` with these ids.
    private func items(_ kind: ItemKind, ids: [ItemID]) async throws(ContextError) -> [FoundItem] {
        guard !ids.isEmpty else { return [] }
        switch kind {
        case .session:
            return try await storage("reading sessions") { try await store.sessions(ids: ids) }.map(FoundItem.session)
        case .checkpoint:
            return try await storage("reading checkpoints") { try await store.checkpoints(ids: ids) }.map(FoundItem.checkpoint)
        case .pattern:
            return try await storage("reading patterns") { try await store.patterns(ids: ids) }.map(FoundItem.pattern)
        }
    }
}

extension ContextService {
    /// The lexical signal, 0…1: 70 % the share of query terms the item contains (so a small collection
    /// still scores sensibly) and 30 % the store's bm25 strength mapped to 0…1.
    static func lexicalScore(bm25: Double, terms: [String], text: String) -> Double {
        guard !terms.isEmpty else { return 0 }
        let itemTerms = TextTerms.termSet(text)
        let matched = terms.filter { term in itemTerms.contains(term) || itemTerms.contains { $0.hasPrefix(term) } }.count
        return 0.7 * Double(matched) / Double(terms.count) + 0.3 * min(1, max(0, bm25))
    }
}

extension FoundItem {
    /// Whether search may return it: not a deleted session, not a deprecated pattern.
    var isLive: Bool {
        switch self {
        case .session(let session): session.status != .deleted
        case .checkpoint: true
        case .pattern(let pattern): !pattern.deprecated
        }
    }

    /// The text the lexical index holds for the item.
    package var searchableText: String {
        switch self {
        case .session(let session):
            ([session.title, session.description ?? "", session.contextSummary ?? ""] + session.decisions).joined(separator: " ")
        case .checkpoint(let checkpoint):
            ([checkpoint.description, String((checkpoint.content ?? "").prefix(20_000))] + checkpoint.tags).joined(separator: " ")
        case .pattern(let pattern):
            PatternSimilarity.text(of: pattern)
        }
    }

    package var id: ItemID {
        switch self {
        case .session(let session): session.id
        case .checkpoint(let checkpoint): checkpoint.id
        case .pattern(let pattern): pattern.id
        }
    }
}
