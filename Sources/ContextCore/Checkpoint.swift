package import Foundation

/// A snapshot an agent records mid-task: what was done, in markdown, with its git position. Append-only.
package struct Checkpoint: Sendable, Hashable, Codable {
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
