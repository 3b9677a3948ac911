import JSONRPC

/// One session by id, optionally with its latest checkpoints. See `getSession`.
package enum GetSession: RPCMethod {
    package static let name = "getSession"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var id: String
        package var project: String?
        /// Include up to this many of the session's latest checkpoints (0…100; default 0).
        package var checkpoints: Int?
        package enum CodingKeys: String, CodingKey, CaseIterable { case id, project, checkpoints }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var session: WireSession
        package var checkpoints: [WireCheckpoint]?
        package var source: WireStorage
        package init(session: WireSession, checkpoints: [WireCheckpoint]?, source: WireStorage) {
            self.session = session
            self.checkpoints = checkpoints
            self.source = source
        }
    }
}
