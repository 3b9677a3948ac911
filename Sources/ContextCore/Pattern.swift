package import Foundation

/// A reusable piece of knowledge (a workflow, decision, code idiom, error fix, …) that grows more confident
/// as it is seen again: saving a similar one merges into it.
package struct Pattern: Sendable, Hashable, Codable {
    /// Names in export files (`memctx export`): the wire's, with `Json` for fields that hold JSON text.
    package enum CodingKeys: String, CodingKey {
        case id
        case project
        case patternType
        case name
        case description
        case template
        case patternJSON = "patternJson"
        case confidence
        case qualityScore
        case frequency
        case reuseCount
        case successRate
        case sourceSessionID = "sourceSessionId"
        case parentPatternID = "parentPatternId"
        case version
        case isLatest
        case deprecated
        case privacyLevel
        case tags
        case createdAt
        case updatedAt
        case lastUsedAt
    }

    package var id: ItemID
    package var project: String
    package var patternType: PatternType
    package var name: String
    package var description: String?
    package var template: String?
    package var patternJSON: String?
    /// 0…1.
    package var confidence: Double
    /// 0…1, when known.
    package var qualityScore: Double?
    /// How many times it was saved (merges add one).
    package var frequency: Int
    /// How many times it was returned by `loadContext`.
    package var reuseCount: Int
    /// 0…1, when known.
    package var successRate: Double?
    package var sourceSessionID: ItemID?
    package var parentPatternID: ItemID?
    package var version: Int
    package var isLatest: Bool
    package var deprecated: Bool
    package var privacyLevel: PrivacyLevel
    package var tags: [String]
    package var createdAt: Date
    package var updatedAt: Date
    package var lastUsedAt: Date?

    package init(id: ItemID, project: String, patternType: PatternType, name: String, at date: Date) {
        self.id = id
        self.project = project
        self.patternType = patternType
        self.name = name
        self.confidence = 0.5
        self.frequency = 1
        self.reuseCount = 0
        self.version = 1
        self.isLatest = true
        self.deprecated = false
        self.privacyLevel = .team
        self.tags = []
        self.createdAt = date
        self.updatedAt = date
    }
}
