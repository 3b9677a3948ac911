package import Foundation
import JSONRPC

/// Checkpoints, newest first, filtered and paginated. See `listCheckpoints`.
package enum ListCheckpoints: RPCMethod {
    package static let name = "listCheckpoints"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var sessionId: String?
        package var project: String?
        package var gitBranch: String?
        package var tags: [String]?
        package var since: Date?
        package var until: Date?
        package var limit: Int?
        package var cursor: String?
        package enum CodingKeys: String, CodingKey, CaseIterable {
            case sessionId, project, gitBranch, tags, since, until, limit, cursor
        }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var checkpoints: [WireCheckpoint]
        package var nextCursor: String?
        package var source: WireStorage
        package init(checkpoints: [WireCheckpoint], nextCursor: String?, source: WireStorage) {
            self.checkpoints = checkpoints
            self.nextCursor = nextCursor
            self.source = source
        }
    }
}
