/// The `id` of a JSON-RPC request: a number or a string (or `null`, which the spec discourages but allows).
///
/// - Important: Responses echo the id exactly as the client wrote it: `json` keeps the original token
///   (`1`, `1.0`, `"a\u0062"` stay as written); equality and hashing use the value, so a
///   `$/cancelRequest` naming `"ab"` finds the request whose id was written `"a\u0062"`.
package struct RequestID: Hashable, Sendable, CustomStringConvertible {
    package enum Value: Hashable, Sendable {
        /// A number, in canonical text (`1e2`, `100` and `100.0` are all `100`); see `canonicalNumber`.
        case number(String)
        case string(String)
        case null
    }

    package let value: Value
    /// The id as a JSON token, exactly as received.
    package let json: [UInt8]

    package init(value: Value, json: [UInt8]) {
        self.value = value
        self.json = json
    }

    /// A string id (escaped as JSON).
    package init(_ string: String) {
        self.init(value: .string(string), json: Array(JSONText.quoted(string).utf8))
    }

    /// The canonical text of a JSON number, so that ids compare by value: integral values within ±2^53
    /// print as integers, others as Swift prints the Double.
    package static func canonicalNumber(_ text: String) -> String {
        guard let value = Double(text), value.isFinite else { return text }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return "\(value)"
    }

    /// An integer id.
    package init(_ number: Int) {
        self.init(value: .number(String(number)), json: Array(String(number).utf8))
    }

    package static let null = RequestID(value: .null, json: Array("null".utf8))

    package static func == (lhs: RequestID, rhs: RequestID) -> Bool { lhs.value == rhs.value }
    package func hash(into hasher: inout Hasher) { hasher.combine(value) }

    package var description: String { String(decoding: json, as: UTF8.self) }
}

extension RequestID: Codable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let string = try? container.decode(String.self) {
            self.init(string)
        } else if let integer = try? container.decode(Int.self) {
            self.init(integer)
        } else {
            let number = try container.decode(Double.self)
            let text = "\(number)"
            self.init(value: .number(Self.canonicalNumber(text)), json: Array(text.utf8))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .null: try container.encodeNil()
        case .string(let string): try container.encode(string)
        case .number(let text):
            if let integer = Int(text) {
                try container.encode(integer)
            } else {
                try container.encode(Double(text) ?? 0)
            }
        }
    }
}

/// Small helpers for writing JSON text by hand on the hot path.
package enum JSONText {
    /// `string` as a JSON string literal, escaping what RFC 8259 requires.
    package static func quoted(_ string: String) -> String {
        var result = "\""
        result.reserveCapacity(string.utf8.count &+ 2)
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 &- hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        result += "\""
        return result
    }
}
