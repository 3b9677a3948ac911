/// How messages are delimited on a byte stream.
package enum Framing: String, Sendable, Hashable, CaseIterable, Codable {
    /// LSP base protocol: `Content-Length: N\r\n\r\n` then N bytes of JSON. Used by editors.
    case lsp
    /// One compact JSON message per line. Used by MCP clients and scripts.
    case ndjson

    /// Wraps one serialized message for the wire.
    package func frame(_ payload: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        frame(payload, into: &output)
        return output
    }

    /// Appends one framed message to `output`.
    package func frame(_ payload: [UInt8], into output: inout [UInt8]) {
        switch self {
        case .lsp:
            output.append(contentsOf: "Content-Length: \(payload.count)\r\n\r\n".utf8)
            output.append(contentsOf: payload)
        case .ndjson:
            output.append(contentsOf: payload)
            output.append(UInt8(ascii: "\n"))
        }
    }
}

/// Which framing to read: detected from the first byte the client sends, or forced.
package enum FramingMode: String, Sendable, Hashable, CaseIterable {
    case auto, lsp, ndjson
}

/// Something wrong with the stream itself rather than with a message's JSON. The framer reports it and
/// resynchronises; the connection answers it with an error whose `id` is null.
package enum FramingError: Error, Hashable, Sendable {
    /// A message longer than the limit. `size` is known for LSP framing (its Content-Length).
    case tooLarge(size: Int?, limit: Int)
    case missingContentLength
    case invalidContentLength(String)
    case invalidHeader(String)
    case headerTooLarge(limit: Int)
    case unsupportedCharset(String)

    package var jsonRPCError: JSONRPCError {
        switch self {
        case .tooLarge(let size, let limit):
            let sizeText = size.map { "of \($0) bytes " } ?? ""
            var data: [String: JSONValue] = ["limit": .int(Int64(limit))]
            if let size { data["size"] = .int(Int64(size)) }
            return JSONRPCError(
                code: .payloadTooLarge,
                message:
                    "Message \(sizeText)exceeds the limit of \(limit) bytes (see --max-message-size); it was skipped",
                data: .object(data)
            )
        case .missingContentLength:
            return JSONRPCError(
                code: .parseError,
                message: "Parse error: header block without a Content-Length header",
                data: ["header": "Content-Length", "reason": "missing"]
            )
        case .invalidContentLength(let value):
            return JSONRPCError(
                code: .parseError,
                message: "Parse error: Content-Length must be a non-negative integer, got '\(value.prefix(40))'",
                data: ["header": "Content-Length", "reason": "not a non-negative integer"]
            )
        case .invalidHeader(let line):
            return JSONRPCError(
                code: .parseError,
                message: "Parse error: invalid header line '\(line.prefix(60))'",
                data: ["reason": "a header line must be 'Name: value'"]
            )
        case .headerTooLarge(let limit):
            return JSONRPCError(
                code: .parseError,
                message: "Parse error: no end of headers within \(limit) bytes",
                data: ["reason": "header block too large"]
            )
        case .unsupportedCharset(let charset):
            return JSONRPCError(
                code: .parseError,
                message: "Parse error: unsupported charset '\(charset.prefix(40))'; only utf-8 is accepted",
                data: ["header": "Content-Type", "reason": "unsupported charset"]
            )
        }
    }
}

/// What a framer produces: a complete message, or a stream error after which it has resynchronised.
package enum FramerEvent: Hashable, Sendable {
    case message([UInt8])
    case error(FramingError)
}

/// Bytes in, complete frames out; no I/O. Both framings enforce the maximum message size and keep memory
/// bounded by it: an oversized message is skipped as it streams past, never buffered.
package protocol MessageFramer {
    /// Feeds bytes read from the stream.
    mutating func append(_ bytes: ArraySlice<UInt8>)
    /// The next complete event, or nil when more bytes are needed.
    mutating func next() -> FramerEvent?
    /// The stream ended: a final line without its newline still counts as a message (so
    /// `printf '%s' '{…}' | memctx` is answered); a truncated LSP body is dropped.
    mutating func finish()
}

extension MessageFramer {
    package mutating func append(_ bytes: [UInt8]) { append(bytes[...]) }
    package mutating func finish() {}
}
