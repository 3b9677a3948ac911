package import Foundation
package import JSONRPC

/// A session as it travels on the wire. See `components.schemas.Session` in protocol/openrpc.json.
package struct WireSession: Codable, Hashable, Sendable {
    package var id: String
    package var project: String
    package var title: String
    package var description: String?
    package var contextSummary: String?
    package var privacyLevel: WirePrivacyLevel
    package var status: WireSessionStatus
    package var sessionType: String?
    package var conversation: JSONValue?
    package var decisions: [String]
    package var fileChanges: JSONValue?
    package var metadata: JSONValue?
    package var parentSessionId: String?
    package var sourceCheckpointId: String?
    package var durationMinutes: Int?
    package var messagesCount: Int?
    package var filesChanged: Int?
    package var piiDetected: Bool
    package var piiRedacted: Bool
    package var tags: [String]
    package var createdAt: Date
    package var updatedAt: Date
    package var accessedAt: Date?
    package var archivedAt: Date?

    package init(id: String, project: String, title: String, privacyLevel: WirePrivacyLevel, status: WireSessionStatus, createdAt: Date) {
        self.id = id
        self.project = project
        self.title = title
        self.privacyLevel = privacyLevel
        self.status = status
        self.decisions = []
        self.piiDetected = false
        self.piiRedacted = false
        self.tags = []
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

/// A checkpoint on the wire. See `components.schemas.Checkpoint`.
package struct WireCheckpoint: Codable, Hashable, Sendable {
    package var id: String
    package var sessionId: String
    package var project: String
    package var description: String
    package var content: String?
    package var checkpointPath: String?
    package var gitCommit: String?
    package var gitBranch: String?
    package var tags: [String]
    package var metadata: JSONValue?
    package var privacyLevel: WirePrivacyLevel
    package var createdAt: Date

    package init(id: String, sessionId: String, project: String, description: String, privacyLevel: WirePrivacyLevel, createdAt: Date) {
        self.id = id
        self.sessionId = sessionId
        self.project = project
        self.description = description
        self.tags = []
        self.privacyLevel = privacyLevel
        self.createdAt = createdAt
    }
}

/// A pattern on the wire. See `components.schemas.Pattern`.
package struct WirePattern: Codable, Hashable, Sendable {
    package var id: String
    package var project: String
    package var patternType: WirePatternType
    package var name: String
    package var description: String?
    package var template: String?
    package var patternJson: JSONValue?
    package var confidence: Double
    package var qualityScore: Double?
    package var frequency: Int
    package var reuseCount: Int
    package var successRate: Double?
    package var sourceSessionId: String?
    package var parentPatternId: String?
    package var version: Int
    package var isLatest: Bool
    package var deprecated: Bool
    package var privacyLevel: WirePrivacyLevel
    package var tags: [String]
    package var createdAt: Date
    package var updatedAt: Date
    package var lastUsedAt: Date?

    package init(id: String, project: String, patternType: WirePatternType, name: String, privacyLevel: WirePrivacyLevel, createdAt: Date) {
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
        self.privacyLevel = privacyLevel
        self.tags = []
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}
