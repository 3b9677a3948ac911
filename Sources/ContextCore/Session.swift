package import Foundation

/// A working session of an agent or a person: the unit checkpoints belong to.
package struct Session: Sendable, Hashable, Codable {
    /// Names in export files (`memctx export`): the wire's, with `Json` for fields that hold JSON text.
    package enum CodingKeys: String, CodingKey {
        case id
        case project
        case title
        case description
        case contextSummary
        case privacyLevel
        case status
        case sessionType
        case conversationJSON = "conversationJson"
        case decisions
        case fileChangesJSON = "fileChangesJson"
        case metadataJSON = "metadataJson"
        case parentSessionID = "parentSessionId"
        case sourceCheckpointID = "sourceCheckpointId"
        case durationMinutes
        case messagesCount
        case filesChanged
        case piiDetected
        case piiRedacted
        case tags
        case createdAt
        case updatedAt
        case accessedAt
        case archivedAt
    }

    package var id: ItemID
    package var project: String
    package var title: String
    package var description: String?
    package var contextSummary: String?
    package var privacyLevel: PrivacyLevel
    package var status: SessionStatus
    package var sessionType: String?
    /// Free-form JSON texts (validated JSON, stored as given after redaction).
    package var conversationJSON: String?
    /// Decisions taken in the session, in order; `loadContext` returns the relevant ones.
    package var decisions: [String]
    package var fileChangesJSON: String?
    package var metadataJSON: String?
    package var parentSessionID: ItemID?
    package var sourceCheckpointID: ItemID?
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

    package init(id: ItemID, project: String, title: String, privacyLevel: PrivacyLevel, at date: Date) {
        self.id = id
        self.project = project
        self.title = title
        self.privacyLevel = privacyLevel
        self.status = .active
        self.decisions = []
        self.piiDetected = false
        self.piiRedacted = false
        self.tags = []
        self.createdAt = date
        self.updatedAt = date
    }
}
