/// A request method: its wire name and the types of its params and result.
///
/// Conforming types live in ContextProtocol, one per file, mirroring protocol/openrpc.json.
package protocol RPCMethod: Sendable {
    associatedtype Params: Codable & Sendable
    associatedtype Result: Codable & Sendable
    /// The wire name, exactly as in protocol/openrpc.json.
    static var name: String { get }
}

/// A notification: never answered.
package protocol RPCNotification: Sendable {
    associatedtype Params: Codable & Sendable
    static var name: String { get }
}

/// Params of a method that takes none; accepts an absent `params`, `{}` or `[]`, and refuses any field.
package struct EmptyParams: Codable, Hashable, Sendable, StrictParams {
    package enum CodingKeys: String, CodingKey, CaseIterable { case _none }
    package init() {}
    package init(from decoder: any Decoder) throws {}
    package func encode(to encoder: any Encoder) throws { _ = encoder.container(keyedBy: CodingKeys.self) }
    package static var fieldNames: [String] { [] }
}

/// The result `{}`.
package struct EmptyResult: Codable, Hashable, Sendable {
    package init() {}
}

/// The result `null` (LSP's `shutdown`).
package struct NullResult: Codable, Hashable, Sendable {
    package init() {}
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard container.decodeNil() else {
            throw DecodingError.typeMismatch(
                NullResult.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected null")
            )
        }
    }
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encodeNil()
    }
}
