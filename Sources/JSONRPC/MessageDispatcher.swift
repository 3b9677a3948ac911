package import Logging

/// What a handler knows about the call it is serving.
package struct RequestContext: Sendable {
    /// The request's id; nil for a notification.
    package var id: RequestID?
    package var method: String
    /// The framing the client speaks.
    package var framing: Framing
    package var logger: Logger
    /// Lets lifecycle handlers act on the connection (`exit`, `$/cancelRequest`).
    package var connection: any ConnectionControl

    package init(
        id: RequestID?,
        method: String,
        framing: Framing,
        logger: Logger,
        connection: any ConnectionControl
    ) {
        self.id = id
        self.method = method
        self.framing = framing
        self.logger = logger
        self.connection = connection
    }
}

/// The operations a handler may perform on its connection.
package protocol ConnectionControl: Sendable {
    /// Stops reading, cancels what is in flight, writes what is pending and ends `run()` with `exitCode`.
    func requestExit(exitCode: Int32)
    /// Cancels the in-flight request `id`; it is answered with -32800 (LSP's `$/cancelRequest`), or not at
    /// all when `silently` (MCP's `notifications/cancelled`). Unknown ids are ignored.
    func cancelRequest(_ id: RequestID, silently: Bool)
    /// Sends a notification to the client (e.g. MCP progress), in `framing`.
    func notify(_ method: String, params: JSONValue, framing: Framing)
}

/// Routes messages to handlers. `Connection` calls it; `MethodRegistry` implements it, and servers may wrap
/// a registry to add lifecycle rules.
package protocol MessageDispatcher: Sendable {
    /// Called on the read loop, in message order, before a request starts. A non-nil error answers the
    /// request instead of running it. Lifecycle state changes here so that it follows message order.
    func admit(method: String, context: RequestContext) -> JSONRPCError?

    /// Runs a request and returns its encoded result.
    func handleRequest(_ method: String, params: RawJSON?, context: RequestContext) async throws -> [UInt8]

    /// Runs a notification. Called on the read loop, in order, so notifications must be quick.
    func handleNotification(_ method: String, params: RawJSON?, context: RequestContext) async
}
