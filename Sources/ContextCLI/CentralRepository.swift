import ChromaStorage
import ContextCore
import ContextProtocol
import ContextSync
import Foundation
import Logging
import PostgresStorage

/// The central repository's two backends, built from `MEMCTX_DATABASE_URL` and `MEMCTX_CHROMA_URL`.
struct CentralRepository: Sendable {
    let store: PostgresDocumentStore
    let vectors: ChromaVectorIndex

    init(environment: MemctxEnvironment, logger: Logger) throws {
        guard let databaseURL = environment.databaseURL, let chromaURL = environment.chromaURL else {
            throw StartupError(
                "a central repository needs both MEMCTX_DATABASE_URL (PostgreSQL) and MEMCTX_CHROMA_URL (ChromaDB); only \(environment.databaseURL == nil ? "MEMCTX_CHROMA_URL" : "MEMCTX_DATABASE_URL") is set"
            )
        }
        do {
            var configuration = try PostgresConfiguration(url: databaseURL)
            configuration.schema = environment.databaseSchema
            store = try PostgresDocumentStore(configuration: configuration, logger: logger)
        } catch {
            throw StartupError("MEMCTX_DATABASE_URL: \(error.message)")
        }
        guard let url = URL(string: chromaURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw StartupError("MEMCTX_CHROMA_URL must be an http:// or https:// URL with a host (e.g. http://127.0.0.1:8000)")
        }
        var chroma = ChromaConfiguration(url: url, token: environment.chromaToken)
        if let prefix = environment.chromaPrefix { chroma.collectionPrefix = prefix }
        // Filtered searches check the filter on the rows (one indexed PostgreSQL query) rather than on metadata
        // ChromaDB would fetch with each record.
        let rows = store
        vectors = ChromaVectorIndex(configuration: chroma) { kind, ids, filter in
            try await rows.admitted(kind, ids: ids, filter: filter)
        }
    }

    /// Migrates PostgreSQL and creates the ChromaDB collections (both idempotent). Needs `store.run()` running.
    func prepare() async throws {
        try await store.migrate()
        try await vectors.prepare()
    }

    /// `health` asks both backends each time: PostgreSQL for its schema version, ChromaDB for a heartbeat,
    /// each for at most `timeout` (a stopped server must not stall `health`).
    func healthChecks(timeout: Duration = .seconds(3)) -> [String: @Sendable () async -> Health.Backend] {
        let store = store
        let vectors = vectors
        return [
            "central": {
                do {
                    let version = try await withDeadline(timeout, what: "PostgreSQL at \(store.configuration.endpoint)") {
                        try await store.probeConnection()
                        return try await store.schemaVersion()
                    } ?? "none"
                    return Health.Backend(kind: "postgresql", status: "ok", detail: "\(store.configuration.endpoint), schema \(version)")
                } catch {
                    return Health.Backend(kind: "postgresql", status: "unavailable", detail: Self.reason(error))
                }
            },
            "vectors": {
                do {
                    try await withDeadline(timeout, what: "ChromaDB at \(vectors.configuration.endpoint)") {
                        try await vectors.heartbeat()
                    }
                    return Health.Backend(kind: "chromadb", status: "ok", detail: vectors.configuration.endpoint)
                } catch {
                    return Health.Backend(kind: "chromadb", status: "unavailable", detail: Self.reason(error))
                }
            },
        ]
    }

    /// A message safe to show: our errors carry one; anything else is described generically.
    static func reason(_ error: any Error) -> String {
        (error as? ContextError)?.message ?? "unexpected error (see the log)"
    }
}
