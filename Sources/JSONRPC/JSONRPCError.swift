/// A JSON-RPC error code. Open, like sourcekit-lsp's `ErrorCode`: modules above add their own codes as
/// static members; protocol/openrpc.json and protocol/README.md list every code the server sends.
package struct JSONRPCErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    package var rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    /// The bytes are not valid JSON (or a frame header is broken).
    package static let parseError = JSONRPCErrorCode(rawValue: -32700)
    /// Valid JSON that is not a valid request object (also: a request after `shutdown`).
    package static let invalidRequest = JSONRPCErrorCode(rawValue: -32600)
    package static let methodNotFound = JSONRPCErrorCode(rawValue: -32601)
    /// The params do not fit the method; `data.field` names the offending field.
    package static let invalidParams = JSONRPCErrorCode(rawValue: -32602)
    package static let internalError = JSONRPCErrorCode(rawValue: -32603)
    /// A message larger than the configured limit; the stream resynchronises after it.
    package static let payloadTooLarge = JSONRPCErrorCode(rawValue: -32004)
    /// The request was cancelled by `$/cancelRequest` (LSP's RequestCancelled).
    package static let requestCancelled = JSONRPCErrorCode(rawValue: -32800)

    package var description: String { String(rawValue) }
}

/// An error as it travels on the wire: `{"code": …, "message": …, "data": …}`.
package struct JSONRPCError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    package var code: JSONRPCErrorCode
    /// One sentence a client can show; never SQL, paths or secrets.
    package var message: String
    package var data: JSONValue?

    package init(code: JSONRPCErrorCode, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    package var description: String { "\(code.rawValue): \(message)" }
}

extension JSONRPCError {
    /// -32602 naming the field (a path such as `tags[0]`) and why it is wrong.
    package static func invalidParams(field: String, reason: String) -> JSONRPCError {
        JSONRPCError(
            code: .invalidParams,
            message: field.isEmpty ? "Invalid params: \(reason)" : "Invalid params: '\(field)' \(reason)",
            data: ["field": .string(field), "reason": .string(reason)]
        )
    }

    package static func methodNotFound(_ method: String) -> JSONRPCError {
        JSONRPCError(
            code: .methodNotFound,
            message: "Method not found: \(method)",
            data: ["method": .string(method)]
        )
    }

    package static func invalidRequest(_ reason: String, field: String? = nil) -> JSONRPCError {
        JSONRPCError(
            code: .invalidRequest,
            message: "Invalid request: \(reason)",
            data: field.map { ["field": .string($0), "reason": .string(reason)] }
        )
    }

    package static let cancelled = JSONRPCError(code: .requestCancelled, message: "Request cancelled")

    package static let internalFailure = JSONRPCError(
        code: .internalError,
        message: "Internal error; the server log has the details"
    )
}

/// An error that knows its wire form. Errors that do not conform become a generic -32603, with details
/// only in the log.
package protocol JSONRPCErrorConvertible: Error {
    var jsonRPCError: JSONRPCError { get }
}

extension JSONRPCError: JSONRPCErrorConvertible {
    package var jsonRPCError: JSONRPCError { self }
}
