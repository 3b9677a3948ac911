package import JSONRPC

/// Creates a session. See `createSession`.
package enum CreateSession: RPCMethod {
    package static let name = "createSession"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var title: String
        package var description: String?
        package var contextSummary: String?
        package var project: String?
        package var id: String?
        package var privacyLevel: WirePrivacyLevel?
        package var sessionType: String?
        package var tags: [String]?
        package var decisions: [String]?
        package var metadata: JSONValue?
        package var conversation: JSONValue?
        package var fileChanges: JSONValue?
        package var parentSessionId: String?
        package enum CodingKeys: String, CodingKey, CaseIterable {
            case title, description, contextSummary, project, id, privacyLevel, sessionType, tags, decisions, metadata,
                conversation, fileChanges, parentSessionId
        }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var session: WireSession
        package var stored: WireStorage
        package init(session: WireSession, stored: WireStorage) {
            self.session = session
            self.stored = stored
        }
    }
}
