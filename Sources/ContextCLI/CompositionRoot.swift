import ChromaStorage
import ContextCore
import ContextProtocol
import ContextServer
import ContextSync
import Foundation
import Logging
import PostgresStorage
import SQLiteStorage
import SentenceEmbedding

/// Builds the server from configuration: the one place that picks backends.
///
/// Without `MEMCTX_DATABASE_URL` and `MEMCTX_CHROMA_URL` the repository is the local SQLite file. With both,
/// the local file is a replica of the central repository (PostgreSQL for the rows, ChromaDB for the vectors):
/// writes commit locally with an outbox change and are pushed at once when the central repository can be
/// reached; reads are central while it is reachable, local otherwise (ContextSync, docs/sync.md).
enum CompositionRoot {
    /// The repository, ready for requests, for the duration of `body`. Background work (the PostgreSQL
    /// connection pool) runs alongside and is cancelled when `body` returns.
    static func withService<Result: Sendable>(
        logger: Logger,
        environment: MemctxEnvironment = MemctxEnvironment(),
        _ body: (ContextService, ServerConfiguration) async throws -> Result
    ) async throws -> Result {
        var serviceConfiguration = ContextServiceConfiguration()
        serviceConfiguration.defaultProject = environment.project
        let embedder = makeEmbedder(environment: environment, logger: logger)
        var configuration = ServerConfiguration()

        guard environment.isCentral else {
            let store = try openLocalStore(environment, logger: logger)
            configuration.backends["local"] = Health.Backend(kind: "sqlite", status: "ok", detail: environment.databasePath)
            let service = ContextService(store: store, embedder: embedder, configuration: serviceConfiguration)
            configuration.embedding = embeddingReport(embedder, environment: environment, semantic: service.semantic)
            logger.debug("local database ready", metadata: ["path": "\(environment.databasePath)", "project": "\(environment.project)"])
            return try await body(service, configuration)
        }

        let central = try CentralRepository(environment: environment, logger: logger)
        var localConfiguration = SQLiteStorageConfiguration(path: environment.databasePath)
        localConfiguration.recordsChanges = true
        let local = try openLocalStore(environment, configuration: localConfiguration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await central.store.run() }
            // Leases made before the pool runs are refused with a warning: let the task start first.
            while !central.store.isRunning { await Task.yield() }
            let replicator = makeReplicator(central: central, local: local, modelID: embedder?.modelID, logger: logger)
            do {
                try await replicator.start(timeout: .milliseconds(1500))
            } catch {
                group.cancelAll()
                throw StartupError("the central repository is not usable: \((error as? ContextError)?.message ?? "\(error)")")
            }
            group.addTask { await replicator.run() }
            let store = SyncedDocumentStore(local: local, central: central.store, replicator: replicator)
            let service = ContextService(
                store: store, embedder: embedder, replication: replicator, remoteVectors: central.vectors,
                configuration: serviceConfiguration)
            configuration.backends["local"] = Health.Backend(kind: "sqlite", status: "ok", detail: environment.databasePath)
            configuration.embedding = embeddingReport(embedder, environment: environment, semantic: service.semantic)
            configuration.backendChecks = central.healthChecks(timeout: .seconds(1))
            configuration.syncState = { await Self.syncState(replicator, local: local) }
            configuration.syncNow = { progress in
                let total = (try? await local.outboxSummary().pending) ?? 0
                let report = await replicator.sync { report in progress?(report.pushed, max(total, report.pushed)) }
                return Sync.Result(
                    central: true, online: report.online, pushed: report.pushed, failed: report.failed,
                    pending: report.pending, detail: report.error)
            }
            logger.debug(
                "local database with a central repository",
                metadata: ["postgresql": "\(central.store.configuration.endpoint)", "online": "\(replicator.isOnline)"])
            do {
                let result = try await body(service, configuration)
                group.cancelAll()
                await replicator.shutdown()
                return result
            } catch {
                group.cancelAll()
                await replicator.shutdown()
                throw error
            }
        }
    }

    /// The replication of `local` (recording changes) to `central`. Start it (`start(timeout:)`) with the
    /// central store's pool running.
    static func makeReplicator(central: CentralRepository, local: SQLiteDocumentStore, modelID: String?, logger: Logger) -> Replicator {
        Replicator(
            local: local,
            central: Replicator.Central(
                store: central.store, vectors: central.vectors,
                prepare: {
                    try await central.store.probeConnection()
                    try await central.prepare()
                },
                probeDatabase: { try await central.store.probeConnection() },
                probeVectors: { try await central.vectors.heartbeat() }
            ),
            modelID: modelID,
            logger: logger
        )
    }

    /// What `health` and `stats` say about syncing.
    static func syncState(_ replicator: Replicator, local: SQLiteDocumentStore) async -> Health.SyncState {
        let summary = try? await local.outboxSummary()
        let counters = replicator.counters
        return Health.SyncState(
            online: replicator.isOnline,
            outboxDepth: summary?.pending ?? 0,
            oldestPending: summary?.oldest,
            lastSync: counters.lastSync,
            pushed: counters.pushed,
            failed: counters.failed,
            detail: replicator.offlineReason ?? summary?.lastError
        )
    }

    /// The JSON-RPC server over the configured repository, for the duration of `body`.
    static func withServer<Result: Sendable>(
        logger: Logger,
        environment: MemctxEnvironment = MemctxEnvironment(),
        _ body: (ContextServer) async throws -> Result
    ) async throws -> Result {
        try await withService(logger: logger, environment: environment) { service, configuration in
            try await body(ContextServer(configuration: configuration, service: service, logger: logger))
        }
    }

    static func openLocalStore(
        _ environment: MemctxEnvironment,
        configuration: SQLiteStorageConfiguration? = nil,
        logger: Logger
    ) throws -> SQLiteDocumentStore {
        do {
            return try SQLiteDocumentStore(configuration: configuration ?? SQLiteStorageConfiguration(path: environment.databasePath))
        } catch {
            logger.error("cannot open the local database", metadata: ["path": "\(environment.databasePath)", "error": "\(error)"])
            throw StartupError("cannot open the local database at \(environment.databasePath): \(error)")
        }
    }

    /// The embedder when the model files are there (loaded in the background), else nil: search is lexical.
    static func makeEmbedder(environment: MemctxEnvironment, logger: Logger) -> SentenceEmbedder? {
        guard ModelDirectory.isComplete(environment.modelDirectory) else {
            logger.info("no embedding model: search is lexical only", metadata: ["model.dir": "\(environment.modelDirectory.path)"])
            return nil
        }
        logger.debug("embedding model found", metadata: ["model.dir": "\(environment.modelDirectory.path)"])
        return SentenceEmbedder(directory: environment.modelDirectory)
    }

    /// What `health` says about the model, read without waiting for it.
    static func embeddingReport(
        _ embedder: SentenceEmbedder?,
        environment: MemctxEnvironment,
        semantic: SemanticIndex? = nil
    ) -> @Sendable () async -> Health.Embedding {
        guard let embedder else {
            let directory = environment.modelDirectory.path
            return {
                Health.Embedding(
                    status: "not installed", model: SentenceEmbeddingModel.modelID, dimension: 384,
                    directory: directory, searchModes: ["lexical"],
                    detail: "no model files in \(directory): search is lexical only; run scripts/fetch-model.sh or set MEMCTX_MODEL_DIR"
                )
            }
        }
        return {
            var embedding = Health.Embedding(
                status: "ok", model: embedder.modelID, dimension: embedder.dimension, directory: embedder.directory.path,
                searchModes: ["hybrid", "semantic", "lexical"], failedWrites: semantic?.failureCount ?? 0
            )
            switch embedder.state {
            case .ready: break
            case .notLoaded: embedding.detail = "the model loads on first use (about 20 ms)"
            case .loading: embedding.status = "loading"
            case .failed(let message):
                embedding.status = "unavailable"
                embedding.searchModes = ["lexical"]
                embedding.detail = message
            }
            return embedding
        }
    }
}

/// A failure to start, printed on stderr as one line.
struct StartupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
