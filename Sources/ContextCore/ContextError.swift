/// The one error type of the domain: a code, a message safe to show a client, the offending field when
/// there is one, and the underlying error for logs only.
package struct ContextError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable, Hashable {
        /// Bad input from the caller; `field` names what to fix.
        case invalidInput
        case notFound
        /// The request contradicts what is stored (e.g. an id reused for different content).
        case conflict
        /// A storage backend could not be reached or failed.
        case backendUnavailable
        /// A feature that is not available in this configuration (e.g. semantic search without a model).
        case unsupported
        /// Our bug.
        case internalFailure
    }

    package var code: Code
    /// May reach the client: no SQL, paths or secrets.
    package var message: String
    /// The wire name of the offending field (`limit`, `tags[2]`), for `invalidInput`.
    package var field: String?
    /// For logs only.
    package var underlying: (any Error)?
    /// For `backendUnavailable`: the backend answered, but memctx is not set up to use it (wrong password,
    /// missing extension, TLS refused). Waiting will not help: the configuration must change.
    package var needsConfiguration = false

    package init(_ code: Code, _ message: String, field: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.underlying = underlying
    }

    package static func invalid(_ field: String, _ reason: String) -> ContextError {
        ContextError(.invalidInput, "'\(field)' \(reason)", field: field)
    }

    package static func notFound(_ kind: String, _ id: ItemID) -> ContextError {
        ContextError(.notFound, "no \(kind) with id \(id)", field: "id")
    }

    package var description: String {
        var text = "\(code): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
