package import Foundation
import JSONRPC

/// Patterns, newest first, filtered and paginated. See `listPatterns`.
package enum ListPatterns: RPCMethod {
    package static let name = "listPatterns"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var project: String?
        package var patternType: WirePatternType?
        package var tags: [String]?
        package var minConfidence: Double?
        package var includeDeprecated: Bool?
        package var since: Date?
        package var until: Date?
        package var limit: Int?
        package var cursor: String?
        package enum CodingKeys: String, CodingKey, CaseIterable {
            case project, patternType, tags, minConfidence, includeDeprecated, since, until, limit, cursor
        }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var patterns: [WirePattern]
        package var nextCursor: String?
        package var source: WireStorage
        package init(patterns: [WirePattern], nextCursor: String?, source: WireStorage) {
            self.patterns = patterns
            self.nextCursor = nextCursor
            self.source = source
        }
    }
}
