import JSONRPC

/// One pattern by id. See `getPattern`.
package enum GetPattern: RPCMethod {
    package static let name = "getPattern"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var id: String
        package var project: String?
        package enum CodingKeys: String, CodingKey, CaseIterable { case id, project }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var pattern: WirePattern
        package var source: WireStorage
        package init(pattern: WirePattern, source: WireStorage) {
            self.pattern = pattern
            self.source = source
        }
    }
}
