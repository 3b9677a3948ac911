/// Bytes that are known to hold one valid JSON value (validated by the scanner), kept undecoded until a
/// handler knows what type to decode them into.
package struct RawJSON: Sendable, Hashable {
    package var bytes: ArraySlice<UInt8>
    package init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }
    package init(_ text: String) { self.bytes = ArraySlice(text.utf8) }
    package var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// One element of a received message, classified by the JSON-RPC 2.0 rules.
package enum IncomingMessage: Sendable {
    /// Has an `id` (possibly `null`): must be answered exactly once.
    case request(id: RequestID, method: String, params: RawJSON?)
    /// Has no `id`: never answered.
    case notification(method: String, params: RawJSON?)
    /// Valid JSON that is not a request; answered with `error` (-32600) and `id` (null unless a valid id
    /// could be read).
    case invalid(id: RequestID, error: JSONRPCError)
}

/// A received frame: a single message or a batch (a non-empty array).
package enum IncomingPayload: Sendable {
    case single(IncomingMessage)
    case batch([IncomingMessage])
}

/// Parses a frame into messages. Pure; throws -32700 for bytes that are not one JSON value.
package enum MessageParser {
    /// Largest batch accepted; a longer one is answered with a single -32600.
    package static let maximumBatchSize = 1_000

    package static func parse(_ frame: [UInt8]) throws(JSONRPCError) -> IncomingPayload {
        do {
            return try frame.withUnsafeBufferPointer { (buffer) throws(JSONScanner.SyntaxError) -> IncomingPayload in
                var scanner = JSONScanner(buffer)
                let payload: IncomingPayload
                switch scanner.peek() {
                case UInt8(ascii: "{"):
                    payload = .single(try parseObject(&scanner, frame: frame))
                case UInt8(ascii: "["):
                    payload = try parseBatch(&scanner, frame: frame)
                case nil:
                    throw scanner.fail("empty message")
                default:
                    try scanner.skipValue()
                    payload = .single(.invalid(id: .null, error: .invalidRequest("a request must be a JSON object")))
                }
                scanner.skipWhitespace()
                guard scanner.isAtEnd else { throw scanner.fail("unexpected data after the JSON value") }
                return payload
            }
        } catch {
            throw JSONRPCError(
                code: .parseError,
                message: "Parse error: \(error.reason) at byte \(error.offset)",
                data: ["offset": .int(Int64(error.offset)), "reason": .string(error.reason)]
            )
        }
    }

    private static func parseBatch(
        _ scanner: inout JSONScanner,
        frame: [UInt8]
    ) throws(JSONScanner.SyntaxError) -> IncomingPayload {
        try scanner.expect(UInt8(ascii: "["), "'['")
        if scanner.peek() == UInt8(ascii: "]") {
            try scanner.expect(UInt8(ascii: "]"), "']'")
            return .single(.invalid(id: .null, error: .invalidRequest("empty batch")))
        }
        var messages: [IncomingMessage] = []
        var isTooLarge = false
        while true {
            if messages.count == maximumBatchSize {
                // Keep validating the JSON, but stop collecting.
                isTooLarge = true
                try scanner.skipValue(depth: 1)
            } else if scanner.peek() == UInt8(ascii: "{") {
                messages.append(try parseObject(&scanner, frame: frame))
            } else {
                try scanner.skipValue(depth: 1)
                messages.append(.invalid(id: .null, error: .invalidRequest("a batch element must be a JSON object")))
            }
            switch scanner.peek() {
            case UInt8(ascii: ","): try scanner.expect(UInt8(ascii: ","), "','")
            case UInt8(ascii: "]"):
                try scanner.expect(UInt8(ascii: "]"), "']'")
                if isTooLarge {
                    return .single(
                        .invalid(id: .null, error: .invalidRequest("a batch may hold at most \(maximumBatchSize) messages"))
                    )
                }
                return .batch(messages)
            default: throw scanner.fail("expected ',' or ']'")
            }
        }
    }

    private static func parseObject(
        _ scanner: inout JSONScanner,
        frame: [UInt8]
    ) throws(JSONScanner.SyntaxError) -> IncomingMessage {
        var version: String?
        var versionIsString = true
        var method: String?
        var methodKind: JSONScanner.Kind?
        var idRange: Range<Int>?
        var idKind: JSONScanner.Kind?
        var idString = ""
        var params: (range: Range<Int>, kind: JSONScanner.Kind)?

        try scanner.expect(UInt8(ascii: "{"), "'{'")
        if scanner.peek() != UInt8(ascii: "}") {
            while true {
                guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.fail("expected a string key") }
                let key = try scanner.decodeString()
                try scanner.expect(UInt8(ascii: ":"), "':'")
                let isString = scanner.peek() == UInt8(ascii: "\"")
                switch key {
                case "jsonrpc":
                    if isString {
                        version = try scanner.decodeString()
                        versionIsString = true
                    } else {
                        try scanner.skipValue(depth: 1)
                        versionIsString = false
                        version = nil
                    }
                case "method":
                    if isString {
                        method = try scanner.decodeString()
                        methodKind = .string
                    } else {
                        methodKind = try scanner.skipValue(depth: 1)
                        method = nil
                    }
                case "id":
                    let start = scanner.index
                    if isString {
                        idString = try scanner.decodeString()
                        idKind = .string
                    } else {
                        idKind = try scanner.skipValue(depth: 1)
                    }
                    idRange = start..<scanner.index
                case "params":
                    let start = scanner.index
                    let kind = try scanner.skipValue(depth: 1)
                    params = (start..<scanner.index, kind)
                default:
                    try scanner.skipValue(depth: 1)
                }
                let next = scanner.peek()
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { throw scanner.fail("expected ',' or '}'") }
                try scanner.expect(UInt8(ascii: ","), "','")
            }
        }
        try scanner.expect(UInt8(ascii: "}"), "'}'")

        // Classification, after the whole object was validated as JSON.
        var id: RequestID?
        if let idRange, let idKind {
            let token = Array(frame[idRange])
            switch idKind {
            case .number:
                id = RequestID(value: .number(RequestID.canonicalNumber(String(decoding: token, as: UTF8.self))), json: token)
            case .string:
                id = RequestID(value: .string(idString), json: token)
            case .null:
                id = .null
            default:
                return .invalid(
                    id: .null, error: .invalidRequest("'id' must be a string, a number or null", field: "id"))
            }
        }
        let echo = id ?? .null
        guard versionIsString, version == "2.0" else {
            return .invalid(id: echo, error: .invalidRequest("'jsonrpc' must be \"2.0\"", field: "jsonrpc"))
        }
        guard let method, methodKind == .string else {
            let reason = methodKind == nil ? "'method' is missing" : "'method' must be a string"
            return .invalid(id: echo, error: .invalidRequest(reason, field: "method"))
        }
        var raw: RawJSON?
        if let params {
            guard params.kind == .object || params.kind == .array else {
                return .invalid(
                    id: echo,
                    error: .invalidRequest("'params' must be an object or an array", field: "params")
                )
            }
            raw = RawJSON(frame[params.range])
        }
        if let id {
            return .request(id: id, method: method, params: raw)
        }
        return .notification(method: method, params: raw)
    }
}
