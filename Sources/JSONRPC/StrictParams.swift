/// Params that reject fields they do not know, so a typo (`sesionId`) is a -32602 naming it instead of a
/// silently ignored value. `_meta` (MCP's request metadata) is always allowed.
package protocol StrictParams: Decodable {
    associatedtype CodingKeys: CodingKey & CaseIterable
    /// The wire names of the fields; by default those of `CodingKeys`.
    static var fieldNames: [String] { get }
}

extension StrictParams {
    package static var fieldNames: [String] { CodingKeys.allCases.map(\.stringValue) }

    /// Throws -32602 for the first field of `raw` (a JSON object) that is not a known field.
    static func rejectUnknownFields(in raw: RawJSON?) throws(JSONRPCError) {
        guard let raw, raw.bytes.first == UInt8(ascii: "{") else { return }
        let known = Set(fieldNames)
        for key in MessageParser.topLevelKeys(of: raw) where key != "_meta" && !known.contains(key) {
            let known = fieldNames.isEmpty
                ? "this method takes no params" : "the fields are: \(fieldNames.sorted().joined(separator: ", "))"
            throw JSONRPCError.invalidParams(field: key, reason: "is not a known field; \(known)")
        }
    }
}

extension MessageParser {
    /// The member names of a JSON object (already validated), in order.
    package static func topLevelKeys(of raw: RawJSON) -> [String] {
        let bytes = Array(raw.bytes)
        return bytes.withUnsafeBufferPointer { buffer -> [String] in
            var scanner = JSONScanner(buffer)
            var keys: [String] = []
            do {
                try scanner.expect(UInt8(ascii: "{"), "'{'")
                if scanner.peek() == UInt8(ascii: "}") { return [] }
                while true {
                    keys.append(try scanner.decodeString())
                    try scanner.expect(UInt8(ascii: ":"), "':'")
                    try scanner.skipValue(depth: 1)
                    guard scanner.peek() == UInt8(ascii: ",") else { return keys }
                    try scanner.expect(UInt8(ascii: ","), "','")
                    _ = scanner.peek()
                }
            } catch {
                return keys
            }
        }
    }
}
