package import Foundation
import JSONRPC

/// Counts of stored items. See `stats`.
package enum Stats: RPCMethod {
    package static let name = "stats"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var project: String?
        package enum CodingKeys: String, CodingKey, CaseIterable { case project }
    }

    package struct Result: Codable, Hashable, Sendable {
        /// The project counted, or `*` for all.
        package var project: String
        /// Sessions by status, plus `total`.
        package var sessions: [String: Int]
        package var checkpoints: Int
        /// Patterns by type, plus `total`.
        package var patterns: [String: Int]
        package var contextLoads: Int
        package var tags: Int
        package var oldestItem: Date?
        package var newestItem: Date?
        package var source: WireStorage
        /// With a central repository: the sync counters (as in `health`).
        package var sync: Health.SyncState?
        package init(
            project: String,
            sessions: [String: Int],
            checkpoints: Int,
            patterns: [String: Int],
            contextLoads: Int,
            tags: Int,
            oldestItem: Date?,
            newestItem: Date?,
            source: WireStorage
        ) {
            self.project = project
            self.sessions = sessions
            self.checkpoints = checkpoints
            self.patterns = patterns
            self.contextLoads = contextLoads
            self.tags = tags
            self.oldestItem = oldestItem
            self.newestItem = newestItem
            self.source = source
        }
    }
}
