package import ContextCore
import ContextProtocol
package import JSONRPC

/// The one place that maps domain errors to wire errors.
extension ContextError: JSONRPCErrorConvertible {
    package var jsonRPCError: JSONRPCError {
        switch code {
        case .invalidInput:
            if let field {
                // `message` starts with the quoted field; keep the reason alone in data.
                let prefix = "'\(field)' "
                let reason = message.hasPrefix(prefix) ? String(message.dropFirst(prefix.count)) : message
                return .invalidParams(field: field, reason: reason)
            }
            return JSONRPCError(code: .invalidParams, message: "Invalid params: \(message)")
        case .notFound:
            return JSONRPCError(code: .notFound, message: message, data: field.map { ["field": .string($0)] })
        case .conflict:
            return JSONRPCError(code: .conflict, message: message, data: field.map { ["field": .string($0)] })
        case .backendUnavailable:
            return JSONRPCError(code: .backendUnavailable, message: message)
        case .unsupported:
            return JSONRPCError(
                code: .featureUnavailable,
                message: message,
                data: field.map { ["field": .string($0), "reason": .string(message)] }
            )
        case .internalFailure:
            return .internalFailure
        }
    }
}
