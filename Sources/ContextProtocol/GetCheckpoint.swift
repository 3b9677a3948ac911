import JSONRPC

/// One checkpoint by id. See `getCheckpoint`.
package enum GetCheckpoint: RPCMethod {
    package static let name = "getCheckpoint"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var id: String
        package var project: String?
        package enum CodingKeys: String, CodingKey, CaseIterable { case id, project }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var checkpoint: WireCheckpoint
        package var source: WireStorage
        package init(checkpoint: WireCheckpoint, source: WireStorage) {
            self.checkpoint = checkpoint
            self.source = source
        }
    }
}
