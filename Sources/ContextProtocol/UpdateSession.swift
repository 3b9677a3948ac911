package import JSONRPC

/// Changes a session's fields; absent fields stay as they are. See `updateSession`.
package enum UpdateSession: RPCMethod {
    package static let name = "updateSession"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var id: String
        package var project: String?
        package var title: String?
        package var description: String?
        package var contextSummary: String?
        package var status: WireSessionStatus?
        package var sessionType: String?
        package var tags: [String]?
        package var addTags: [String]?
        package var decisions: [String]?
        package var addDecisions: [String]?
        package var metadata: JSONValue?
        package var conversation: JSONValue?
        package var fileChanges: JSONValue?
        package var durationMinutes: Int?
        package var messagesCount: Int?
        package var filesChanged: Int?
        package enum CodingKeys: String, CodingKey, CaseIterable {
            case id, project, title, description, contextSummary, status, sessionType, tags, addTags, decisions,
                addDecisions, metadata, conversation, fileChanges, durationMinutes, messagesCount, filesChanged
        }
    }

    package typealias Result = CreateSession.Result
}
