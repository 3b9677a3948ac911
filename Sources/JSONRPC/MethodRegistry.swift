import Logging

/// The method table: a name → handler map built by registration, never a `switch`.
///
/// Adding a method is one `RPCMethod` type plus one `register` call.
package struct MethodRegistry: MessageDispatcher {
    package typealias RequestHandler = @Sendable (RawJSON?, RequestContext) async throws -> [UInt8]
    package typealias NotificationHandler = @Sendable (RawJSON?, RequestContext) async throws -> Void

    private var requests: [String: RequestHandler] = [:]
    private var notifications: [String: NotificationHandler] = [:]

    package init() {}

    /// Registers a request handler; decoding params and encoding the result are done here.
    package mutating func register<Method: RPCMethod>(
        _ method: Method.Type,
        handler: @escaping @Sendable (Method.Params, RequestContext) async throws -> Method.Result
    ) {
        precondition(
            requests[Method.name] == nil && notifications[Method.name] == nil, "\(Method.name) registered twice")
        requests[Method.name] = { raw, context in
            if let strict = Method.Params.self as? any StrictParams.Type { try strict.rejectUnknownFields(in: raw) }
            let params = try WireCoding.decodeParams(Method.Params.self, from: raw)
            return try WireCoding.encode(try await handler(params, context))
        }
    }

    /// Registers a notification handler.
    package mutating func register<Notification: RPCNotification>(
        _ notification: Notification.Type,
        handler: @escaping @Sendable (Notification.Params, RequestContext) async throws -> Void
    ) {
        precondition(
            requests[Notification.name] == nil && notifications[Notification.name] == nil,
            "\(Notification.name) registered twice"
        )
        notifications[Notification.name] = { raw, context in
            try await handler(try WireCoding.decodeParams(Notification.Params.self, from: raw), context)
        }
    }

    /// Every registered request name, sorted.
    package var requestNames: [String] { requests.keys.sorted() }
    /// Every registered notification name, sorted.
    package var notificationNames: [String] { notifications.keys.sorted() }

    package func admit(method: String, context: RequestContext) -> JSONRPCError? { nil }

    package func handleRequest(_ method: String, params: RawJSON?, context: RequestContext) async throws -> [UInt8] {
        guard let handler = requests[method] else {
            if notifications[method] != nil {
                throw JSONRPCError.invalidRequest("'\(method)' is a notification: send it without an 'id'", field: "id")
            }
            throw JSONRPCError.methodNotFound(method)
        }
        return try await handler(params, context)
    }

    package func handleNotification(_ method: String, params: RawJSON?, context: RequestContext) async {
        guard let handler = notifications[method] else {
            // JSON-RPC: notifications are never answered, not even when unknown.
            context.logger.debug("ignored notification", metadata: ["rpc.method": "\(method)"])
            return
        }
        do {
            try await handler(params, context)
        } catch {
            context.logger.warning(
                "notification failed",
                metadata: ["rpc.method": "\(method)", "error": "\(error)"]
            )
        }
    }
}
