package import ContextCore
package import JSONRPC
package import Logging

/// The memctx method table with the LSP lifecycle around it. ContextCLI hands it to a `Connection`.
///
/// Requests may come without `initialize` (scripts); after `shutdown` every request but `exit` gets -32600.
package final class ContextServer: MessageDispatcher {
    package let registry: MethodRegistry
    private let lifecycle: Lifecycle

    package init(configuration: ServerConfiguration, service: ContextService, logger: Logger) {
        let lifecycle = Lifecycle()
        var registry = MethodRegistry()
        registry.registerLifecycle(lifecycle)
        registry.registerOperations(configuration: configuration)
        registry.registerSessions(service)
        registry.registerCheckpoints(service)
        registry.registerPatterns(service)
        registry.registerSearch(service)
        registry.registerContext(service, configuration: configuration)
        self.registry = registry
        self.lifecycle = lifecycle
    }

    package func admit(method: String, context: RequestContext) -> JSONRPCError? {
        if lifecycle.isShutdownRequested {
            return .invalidRequest("the server is shutting down; only the 'exit' notification is accepted")
        }
        // Decided here, in message order, so that an `exit` right behind `shutdown` sees it.
        if method == "shutdown" { lifecycle.requestShutdown() }
        return nil
    }

    package func handleRequest(_ method: String, params: RawJSON?, context: RequestContext) async throws -> [UInt8] {
        try await registry.handleRequest(method, params: params, context: context)
    }

    package func handleNotification(_ method: String, params: RawJSON?, context: RequestContext) async {
        await registry.handleNotification(method, params: params, context: context)
    }
}
