package import Foundation

/// A snapshot an agent records mid-task: what was done, in markdown, with its git position. Append-only.
package struct Checkpoint: Sendable, Hashable, Codable {
    /// Names in export files (`memctx export`): the wire's, with `Json` for fields that hold JSON text.
    package enum CodingKeys: String, CodingKey {
        case id
        case sessionID = "sessionId"
        case project
        case description
        case content
        case checkpointPath
        case gitCommit
        case gitBranch
        case tags
        case metadataJSON = "metadataJson"
        case privacyLevel
        case createdAt
    }

    package var id: ItemID
    package var sessionID: ItemID
    package var project: String
    package var description: String
    package var content: String?
    package var checkpointPath: String?
    package var gitCommit: String?
    package var gitBranch: String?
    package var tags: [String]
    package var metadataJSON: String?
    package var privacyLevel: PrivacyLevel
    package var createdAt: Date

    package init(id: ItemID, sessionID: ItemID, project: String, description: String, at date: Date) {
        self.id = id
        self.sessionID = sessionID
        self.project = project
        self.description = description
        self.tags = []
        self.privacyLevel = .team
        self.createdAt = date
    }
}
