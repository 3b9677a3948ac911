package import Foundation
import JSONRPC

/// Sessions, newest first, filtered and paginated. See `listSessions`.
package enum ListSessions: RPCMethod {
    package static let name = "listSessions"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var project: String?
        package var status: WireSessionStatus?
        package var tags: [String]?
        package var since: Date?
        package var until: Date?
        package var limit: Int?
        package var cursor: String?
        package enum CodingKeys: String, CodingKey, CaseIterable { case project, status, tags, since, until, limit, cursor }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var sessions: [WireSession]
        package var nextCursor: String?
        package var source: WireStorage
        package init(sessions: [WireSession], nextCursor: String?, source: WireStorage) {
            self.sessions = sessions
            self.nextCursor = nextCursor
            self.source = source
        }
    }
}
