import JSONRPC

/// A pattern with its search score (0…1) and the score of each signal (`lexical`, `semantic`).
package struct PatternHit: Codable, Hashable, Sendable {
    package var pattern: WirePattern
    package var score: Double
    package var signals: [String: Double]
    package init(pattern: WirePattern, score: Double, signals: [String: Double]) {
        self.pattern = pattern
        self.score = score
        self.signals = signals
    }
}

package struct SessionHit: Codable, Hashable, Sendable {
    package var session: WireSession
    package var score: Double
    package var signals: [String: Double]
    package init(session: WireSession, score: Double, signals: [String: Double]) {
        self.session = session
        self.score = score
        self.signals = signals
    }
}

package struct CheckpointHit: Codable, Hashable, Sendable {
    package var checkpoint: WireCheckpoint
    package var score: Double
    package var signals: [String: Double]
    package init(checkpoint: WireCheckpoint, score: Double, signals: [String: Double]) {
        self.checkpoint = checkpoint
        self.score = score
        self.signals = signals
    }
}

/// A hit of `search`: `kind` says which of `session`, `checkpoint`, `pattern` is present.
package struct AnyHit: Codable, Hashable, Sendable {
    package var kind: WireItemKind
    package var session: WireSession?
    package var checkpoint: WireCheckpoint?
    package var pattern: WirePattern?
    package var score: Double
    package var signals: [String: Double]
    package init(kind: WireItemKind, score: Double, signals: [String: Double]) {
        self.kind = kind
        self.score = score
        self.signals = signals
    }
}

/// Results of every search method: the hits, the mode used, where they came from, and a note when the
/// mode was degraded (no embedding model).
package struct SearchResult<Hit: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    package var hits: [Hit]
    package var mode: WireSearchMode
    package var source: WireStorage
    package var note: String?
    package init(hits: [Hit], mode: WireSearchMode, source: WireStorage, note: String?) {
        self.hits = hits
        self.mode = mode
        self.source = source
        self.note = note
    }
}

/// Patterns most relevant to a query. See `searchPatterns`.
package enum SearchPatterns: RPCMethod {
    package static let name = "searchPatterns"
    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var query: String
        package var limit: Int?
        package var mode: WireSearchMode?
        package var patternType: WirePatternType?
        package var project: String?
        package var minScore: Double?
        package enum CodingKeys: String, CodingKey, CaseIterable { case query, limit, mode, patternType, project, minScore }
    }
    package typealias Result = SearchResult<PatternHit>
}

/// Sessions most relevant to a query. See `searchSessions`.
package enum SearchSessions: RPCMethod {
    package static let name = "searchSessions"
    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var query: String
        package var limit: Int?
        package var mode: WireSearchMode?
        package var project: String?
        package var minScore: Double?
        package enum CodingKeys: String, CodingKey, CaseIterable { case query, limit, mode, project, minScore }
    }
    package typealias Result = SearchResult<SessionHit>
}

/// Checkpoints most relevant to a query. See `searchCheckpoints`.
package enum SearchCheckpoints: RPCMethod {
    package static let name = "searchCheckpoints"
    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var query: String
        package var limit: Int?
        package var mode: WireSearchMode?
        package var project: String?
        package var sessionId: String?
        package var minScore: Double?
        package enum CodingKeys: String, CodingKey, CaseIterable { case query, limit, mode, project, sessionId, minScore }
    }
    package typealias Result = SearchResult<CheckpointHit>
}

/// Every kind of item most relevant to a query. See `search`.
package enum Search: RPCMethod {
    package static let name = "search"
    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var query: String
        package var kinds: [WireItemKind]?
        package var limit: Int?
        package var mode: WireSearchMode?
        package var project: String?
        package var minScore: Double?
        package enum CodingKeys: String, CodingKey, CaseIterable { case query, kinds, limit, mode, project, minScore }
    }
    package typealias Result = SearchResult<AnyHit>
}
