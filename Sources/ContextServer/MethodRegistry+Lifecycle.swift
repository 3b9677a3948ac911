import ContextProtocol
import JSONRPC

extension MethodRegistry {
    /// `initialize`, `initialized`, `shutdown`, `exit`, `$/cancelRequest`.
    mutating func registerLifecycle(_ lifecycle: Lifecycle) {
        register(Initialize.self) { _, _ in
            Initialize.Result(
                capabilities: .init(
                    experimental: .init(
                        memctx: .init(
                            methods: ProtocolCatalog.requests.map { $0.name }.sorted(),
                            framings: Framing.allCases.map(\.rawValue)
                        )
                    )
                ),
                serverInfo: .init(name: ServerIdentity.name, version: ServerIdentity.version)
            )
        }
        register(Initialized.self) { _, _ in }
        register(Shutdown.self) { _, _ in NullResult() }
        register(Exit.self) { _, context in
            context.connection.requestExit(exitCode: lifecycle.isShutdownRequested ? 0 : 1)
        }
        register(CancelRequest.self) { params, context in
            context.connection.cancelRequest(params.id, silently: false)
        }
    }
}
