import ChromaStorage
import ContextCore
import ContextSync
import Foundation
import Logging
import PostgresStorage
import SentenceEmbedding

/// The repository bulk commands (`migrate`, `import`, `export`) work on.
struct BulkRepository {
    /// A service over it, for embedding what is written.
    var service: ContextService
    var transfer: any RecordTransfer
    /// `local` or `central`.
    var location: StorageLocation
    /// Where it is, for reports: a file path, or the PostgreSQL and ChromaDB endpoints (no credentials).
    var description: String
}

extension CompositionRoot {
    /// The central repository itself when one is configured (PostgreSQL for rows, ChromaDB for vectors:
    /// bulk work goes there directly rather than through this machine's outbox), else the local database.
    /// A central repository that cannot be reached is an error naming it: nothing is written elsewhere.
    static func withBulkRepository<Result: Sendable>(
        logger: Logger,
        environment: MemctxEnvironment = MemctxEnvironment(),
        local forceLocal: Bool = false,
        _ body: (BulkRepository) async throws -> Result
    ) async throws -> Result {
        var serviceConfiguration = ContextServiceConfiguration()
        serviceConfiguration.defaultProject = environment.project
        let embedder = makeEmbedder(environment: environment, logger: logger)
        guard environment.isCentral, !forceLocal else {
            let store = try openLocalStore(environment, logger: logger)
            let service = ContextService(store: store, embedder: embedder, configuration: serviceConfiguration)
            return try await body(BulkRepository(service: service, transfer: store, location: .local, description: environment.databasePath))
        }
        let central = try CentralRepository(environment: environment, logger: logger)
        return try await central.store.withRunning {
            do {
                try await withDeadline(.seconds(10), what: "the central repository") {
                    try await central.store.probeConnection()
                    try await central.prepare()
                }
            } catch {
                throw CommandFailure(
                    "the central repository is not usable: \(CentralRepository.reason(error)) (bulk commands write to it directly; set --local, or unset MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL, to use the local database)"
                )
            }
            serviceConfiguration.location = .central
            let service = ContextService(
                store: central.store, embedder: embedder, vectorIndex: central.vectors, configuration: serviceConfiguration)
            let description = "PostgreSQL \(central.store.configuration.endpoint) + ChromaDB \(central.vectors.configuration.endpoint)"
            return try await body(BulkRepository(service: service, transfer: central.store, location: .central, description: description))
        }
    }

    /// Embeds every item without a vector, with progress on stderr; the counts by kind, or nil without a model.
    static func embedMissing(_ service: ContextService, label: String, batchSize: Int = 32) async throws -> [ItemKind: Int]? {
        guard service.semantic != nil else { return nil }
        let bar = ProgressBar(label: label)
        defer { bar.finish() }
        do throws(ContextError) {
            return try await service.reindex(batchSize: batchSize) { progress in
                bar.update("embedding \(progress.kind.rawValue)s", done: progress.done, total: progress.total)
            }
        } catch {
            throw CommandFailure(error.message)
        }
    }
}
