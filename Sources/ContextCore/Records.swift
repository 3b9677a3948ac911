package import Foundation

/// What redaction found in one stored item: counts by kind, never the text itself.
package struct PrivacyAudit: Sendable, Hashable, Codable {
    /// Names in export files (`memctx export`): the wire's, with `Json` for fields that hold JSON text.
    package enum CodingKeys: String, CodingKey {
        case itemKind
        case itemID = "itemId"
        case level
        case detected
        case redacted
        case createdAt
    }

    package var itemKind: ItemKind
    package var itemID: ItemID
    package var level: PrivacyLevel
    /// Detector kind (`email`, `aws-access-key`, …) → number of matches found.
    package var detected: [String: Int]
    /// Detector kind → number of matches replaced.
    package var redacted: [String: Int]
    package var createdAt: Date

    package init(
        itemKind: ItemKind,
        itemID: ItemID,
        level: PrivacyLevel,
        detected: [String: Int],
        redacted: [String: Int],
        createdAt: Date
    ) {
        self.itemKind = itemKind
        self.itemID = itemID
        self.level = level
        self.detected = detected
        self.redacted = redacted
        self.createdAt = createdAt
    }
}

/// One `loadContext` call: what was asked and what was returned.
package struct ContextLoad: Sendable, Hashable, Codable {
    /// Names in export files (`memctx export`): the wire's, with `Json` for fields that hold JSON text.
    package enum CodingKeys: String, CodingKey {
        case id
        case project
        case query
        case sessionID = "sessionId"
        case checkpointIDs = "checkpointIds"
        case patternIDs = "patternIds"
        case decisionCount
        case tokensUsed
        case tokenBudget
        case createdAt
    }

    package var id: ItemID
    package var project: String
    package var query: String
    package var sessionID: ItemID?
    package var checkpointIDs: [ItemID]
    package var patternIDs: [ItemID]
    package var decisionCount: Int
    package var tokensUsed: Int
    package var tokenBudget: Int
    package var createdAt: Date

    package init(
        id: ItemID,
        project: String,
        query: String,
        sessionID: ItemID?,
        checkpointIDs: [ItemID],
        patternIDs: [ItemID],
        decisionCount: Int,
        tokensUsed: Int,
        tokenBudget: Int,
        createdAt: Date
    ) {
        self.id = id
        self.project = project
        self.query = query
        self.sessionID = sessionID
        self.checkpointIDs = checkpointIDs
        self.patternIDs = patternIDs
        self.decisionCount = decisionCount
        self.tokensUsed = tokensUsed
        self.tokenBudget = tokenBudget
        self.createdAt = createdAt
    }
}

/// One page of a listing. `nextCursor` is opaque; pass it back to continue after the last item.
package struct Page<Item: Sendable>: Sendable {
    package var items: [Item]
    package var nextCursor: String?

    package init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

/// Which projects a read may see.
package enum ProjectScope: Sendable, Hashable {
    case only(String)
    /// `project: "*"`: every project.
    case all

    package func contains(_ project: String) -> Bool {
        switch self {
        case .all: true
        case .only(let name): name == project
        }
    }
}

/// Filters shared by listings. Lists are ordered newest first by creation, with the id breaking ties, so
/// cursors stay correct while rows are inserted.
package struct ListFilter: Sendable, Hashable {
    package var scope: ProjectScope
    package var tags: [String] = []
    package var since: Date?
    package var until: Date?
    package var limit: Int = 20
    package var cursor: String?

    package init(scope: ProjectScope) { self.scope = scope }
}

package struct SessionQuery: Sendable, Hashable {
    package var filter: ListFilter
    /// nil: every status except `deleted`.
    package var status: SessionStatus?
    package var parentSessionID: ItemID?

    package init(filter: ListFilter, status: SessionStatus? = nil) {
        self.filter = filter
        self.status = status
    }
}

package struct CheckpointQuery: Sendable, Hashable {
    package var filter: ListFilter
    package var sessionID: ItemID?
    package var gitBranch: String?

    package init(filter: ListFilter, sessionID: ItemID? = nil) {
        self.filter = filter
        self.sessionID = sessionID
    }
}

package struct PatternQuery: Sendable, Hashable {
    package var filter: ListFilter
    package var patternType: PatternType?
    package var minConfidence: Double?
    package var includeDeprecated = false

    package init(filter: ListFilter, patternType: PatternType? = nil) {
        self.filter = filter
        self.patternType = patternType
    }
}

/// Filters of a lexical search.
package struct SearchFilter: Sendable, Hashable {
    package var scope: ProjectScope
    package var patternType: PatternType?
    package var sessionID: ItemID?

    package init(scope: ProjectScope, patternType: PatternType? = nil, sessionID: ItemID? = nil) {
        self.scope = scope
        self.patternType = patternType
        self.sessionID = sessionID
    }
}

/// One lexical match: the item and its bm25-derived score (higher is better, 0…1).
package struct LexicalHit: Sendable, Hashable {
    package var id: ItemID
    package var score: Double
    package init(id: ItemID, score: Double) {
        self.id = id
        self.score = score
    }
}

/// Lexical hits, best first, and the stored items of the first few when the store read them with the hits.
package struct LexicalResult: Sendable {
    package var hits: [LexicalHit]
    package var items: [FoundItem]

    package init(hits: [LexicalHit], items: [FoundItem] = []) {
        self.hits = hits
        self.items = items
    }
}

/// Counts for `stats`.
package struct Statistics: Sendable, Hashable {
    package var sessionsByStatus: [SessionStatus: Int] = [:]
    package var checkpoints = 0
    package var patternsByType: [PatternType: Int] = [:]
    package var contextLoads = 0
    package var tags = 0
    package var oldestItem: Date?
    package var newestItem: Date?

    package init() {}
}

/// The outcome of saving a checkpoint, whose id may already exist.
package enum CheckpointSaveOutcome: Sendable {
    /// Inserted, with the project of its session; `sessionCreated` when the session was created with it.
    case inserted(Checkpoint, sessionCreated: Bool)
    /// The id existed already; the stored checkpoint is returned unchanged.
    case existing(Checkpoint)
}

/// What saving a checkpoint asks of the session it names when that session exists. Stores check it in the
/// write's transaction, so a save reads and writes the session in one step.
package struct SessionRule: Sendable, Hashable {
    /// The project the call named: a session of another project refuses the checkpoint. nil: the checkpoint
    /// joins the session whatever its project.
    package var project: String?
    /// Whether a deleted session refuses the checkpoint.
    package var refusesDeleted: Bool
    /// Whether the caller named the session (it may exist, perhaps only in the central repository); false for
    /// an id made for this save.
    package var named: Bool
    /// Whether the checkpoint takes the existing session's project (a client's save); false keeps it as given
    /// (a copy: replication, tests).
    package var joinsProject: Bool

    package init(project: String?, refusesDeleted: Bool, named: Bool, joinsProject: Bool = true) {
        self.project = project
        self.refusesDeleted = refusesDeleted
        self.named = named
        self.joinsProject = joinsProject
    }

    /// No conditions (replication and tests: the session and the checkpoint are taken as they are).
    package static let none = SessionRule(project: nil, refusesDeleted: false, named: true, joinsProject: false)

    /// Throws `invalid("sessionId")` when the existing session (its project and status) refuses the checkpoint.
    package func check(project sessionProject: String, status: SessionStatus) throws(ContextError) {
        if let project, project != sessionProject {
            throw .invalid("sessionId", "belongs to project '\(sessionProject)', not '\(project)'")
        }
        if refusesDeleted, status == .deleted { throw .invalid("sessionId", "names a deleted session") }
    }

    /// The audit rows a checkpoint's save writes: the session's only when the session was created with it.
    package static func audits(_ audits: [PrivacyAudit], sessionCreated: Bool) -> [PrivacyAudit] {
        sessionCreated ? audits : audits.filter { $0.itemKind != .session }
    }
}
