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
    /// The mode a search runs in, or a clear error when the requested one needs the model.
    package func resolveMode(_ requested: SearchMode?) throws(ContextError) -> SearchMode {
        switch requested {
        case nil, .lexical?: return .lexical
        case .semantic?, .hybrid?:
            guard configuration.isSemanticSearchAvailable else {
                throw ContextError(
                    .unsupported,
                    "mode '\(requested!.rawValue)' needs the embedding model, which is not installed; use mode 'lexical' or omit mode",
                    field: "mode"
                )
            }
            return .lexical
        }
    }

    package func search(_ request: SearchRequest) async throws(ContextError) -> SearchResults {
        let mode = try resolveMode(request.mode)
        _ = try Validate.text(request.query, field: "query", maximum: Limits.query)
        let terms = TextTerms.terms(in: request.query)
        guard !terms.isEmpty else { throw .invalid("query", "must contain at least one word of two or more letters or digits") }
        if let minScore = request.minScore { _ = try Validate.unitInterval(minScore, field: "minScore") }
        var hits: [SearchHit] = []
        let filter = SearchFilter(scope: request.scope, patternType: request.patternType, sessionID: request.sessionID)
        for kind in request.kinds {
            // Deleted sessions are filtered out after the fact: fetch a little more than asked.
            // Items holding every term first (fast, precise); any term only when none holds them all.
            var lexical = try await storage("searching") {
                try await store.searchLexical(kind, terms: terms, matchAll: true, filter: filter, limit: request.limit + 10)
            }
            if lexical.isEmpty, terms.count > 1 {
                lexical = try await storage("searching") {
                    try await store.searchLexical(kind, terms: terms, matchAll: false, filter: filter, limit: request.limit + 10)
                }
            }
            let scores = Dictionary(lexical.map { ($0.id, $0.score) }, uniquingKeysWith: max)
            let ids = lexical.map(\.id)
            let items: [FoundItem]
            switch kind {
            case .session:
                items = try await storage("reading sessions") { try await store.sessions(ids: ids) }
                    .filter { $0.status != .deleted }.map(FoundItem.session)
            case .checkpoint:
                items = try await storage("reading checkpoints") { try await store.checkpoints(ids: ids) }
                    .map(FoundItem.checkpoint)
            case .pattern:
                items = try await storage("reading patterns") { try await store.patterns(ids: ids) }
                    .map(FoundItem.pattern)
            }
            for item in items {
                let score = Self.lexicalScore(bm25: scores[item.id] ?? 0, terms: terms, text: item.searchableText)
                if let minScore = request.minScore, score < minScore { continue }
                hits.append(SearchHit(item: item, score: score, signals: ["lexical": score]))
            }
        }
        hits.sort { $0.score != $1.score ? $0.score > $1.score : $0.item.id < $1.item.id }
        return SearchResults(hits: Array(hits.prefix(request.limit)), mode: mode, source: .local)
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
