package import JSONRPC

/// Records a checkpoint, creating its session when the named one does not exist. See `saveCheckpoint`.
package enum SaveCheckpoint: RPCMethod {
    package static let name = "saveCheckpoint"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var description: String
        package var content: String?
        package var sessionId: String?
        package var sessionTitle: String?
        package var project: String?
        package var id: String?
        package var gitCommit: String?
        package var gitBranch: String?
        package var checkpointPath: String?
        package var tags: [String]?
        package var metadata: JSONValue?
        package var privacyLevel: WirePrivacyLevel?

        package enum CodingKeys: String, CodingKey, CaseIterable {
            case description, content, sessionId, sessionTitle, project, id, gitCommit, gitBranch, checkpointPath,
                tags, metadata, privacyLevel
        }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var checkpoint: WireCheckpoint
        package var sessionId: String
        /// True when this call created the session.
        package var sessionCreated: Bool
        /// True when the id existed already: nothing was written, the stored checkpoint is returned.
        package var duplicate: Bool
        package var stored: WireStorage

        package init(checkpoint: WireCheckpoint, sessionId: String, sessionCreated: Bool, duplicate: Bool, stored: WireStorage) {
            self.checkpoint = checkpoint
            self.sessionId = sessionId
            self.sessionCreated = sessionCreated
            self.duplicate = duplicate
            self.stored = stored
        }
    }
}
