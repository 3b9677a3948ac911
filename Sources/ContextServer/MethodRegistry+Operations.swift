import ContextProtocol
import Foundation
import JSONRPC

extension MethodRegistry {
    /// `ping`, `health`, `rpc.discover`, `sync`.
    mutating func registerOperations(configuration: ServerConfiguration) {
        register(Ping.self) { _, _ in EmptyResult() }
        register(Health.self) { _, context in
            let uptime = ContinuousClock.now - configuration.startInstant
            let seconds = Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18
            var result = Health.Result(
                status: configuration.backends.values.allSatisfy { $0.status == "ok" } ? "ok" : "degraded",
                version: ServerIdentity.version,
                framing: context.framing,
                startedAt: configuration.startedAt,
                uptimeSeconds: (seconds * 1000).rounded() / 1000,
                pid: Int(ProcessInfo.processInfo.processIdentifier),
                backends: configuration.backends
            )
            for (role, check) in configuration.backendChecks {
                result.backends[role] = await check()
            }
            if result.backends.values.contains(where: { $0.status != "ok" }) { result.status = "degraded" }
            if let syncState = configuration.syncState {
                result.sync = await syncState()
            }
            if let embedding = configuration.embedding {
                result.embedding = await embedding()
                if result.embedding?.status == "unavailable" { result.status = "degraded" }
            }
            return result
        }
        register(Discover.self) { _, _ in OpenRPCDocument.value }
        register(Sync.self) { _, _ in
            guard let syncNow = configuration.syncNow else {
                return Sync.Result(
                    central: false, online: false, pushed: 0, failed: 0, pending: 0,
                    detail: "no central repository is configured (MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL): nothing to sync"
                )
            }
            return await syncNow(nil)
        }
    }
}
