import JSONRPC

/// Soft-deletes a session (status `deleted`), or with `purge: true` erases it. See `deleteSession`.
package enum DeleteSession: RPCMethod {
    package static let name = "deleteSession"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var id: String
        package var project: String?
        package var purge: Bool?
        package enum CodingKeys: String, CodingKey, CaseIterable { case id, project, purge }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var id: String
        package var deleted: Bool
        package var purged: Bool
        package var stored: WireStorage
        package init(id: String, deleted: Bool, purged: Bool, stored: WireStorage) {
            self.id = id
            self.deleted = deleted
            self.purged = purged
            self.stored = stored
        }
    }
}
