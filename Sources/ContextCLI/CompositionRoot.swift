import ContextCore
import ContextProtocol
import ContextServer
import Foundation
import Logging
import SQLiteStorage
import SentenceEmbedding

/// Builds the server from configuration: the one place that picks backends.
enum CompositionRoot {
    static func makeServer(logger: Logger, environment: MemctxEnvironment = MemctxEnvironment()) throws -> ContextServer {
        let store: SQLiteDocumentStore
        do {
            store = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: environment.databasePath))
        } catch {
            logger.error("cannot open the local database", metadata: ["path": "\(environment.databasePath)", "error": "\(error)"])
            throw StartupError("cannot open the local database at \(environment.databasePath): \(error)")
        }
        var serviceConfiguration = ContextServiceConfiguration()
        serviceConfiguration.defaultProject = environment.project
        let embedder = makeEmbedder(environment: environment, logger: logger)
        let service = ContextService(store: store, embedder: embedder, configuration: serviceConfiguration)
        var configuration = ServerConfiguration()
        configuration.backends["local"] = Health.Backend(kind: "sqlite", status: "ok", detail: environment.databasePath)
        let semantic = service.semantic
        configuration.embedding = embedder.map { embedder in
            { @Sendable () async -> Health.Embedding in
                var embedding = Health.Embedding(
                    status: "ok", model: embedder.modelID, dimension: embedder.dimension, directory: embedder.directory.path,
                    searchModes: ["hybrid", "semantic", "lexical"], failedWrites: semantic?.failureCount ?? 0
                )
                switch embedder.state {
                case .ready: break
                case .loading: embedding.status = "loading"
                case .failed(let message):
                    embedding.status = "unavailable"
                    embedding.searchModes = ["lexical"]
                    embedding.detail = message
                }
                return embedding
            }
        } ?? { @Sendable in
            Health.Embedding(
                status: "not installed", model: SentenceEmbeddingModel.modelID, dimension: 384,
                directory: environment.modelDirectory.path, searchModes: ["lexical"],
                detail: "no model files in \(environment.modelDirectory.path): search is lexical only; run scripts/fetch-model.sh or set MEMCTX_MODEL_DIR"
            )
        }
        logger.debug("local database ready", metadata: ["path": "\(environment.databasePath)", "project": "\(environment.project)"])
        return ContextServer(configuration: configuration, service: service, logger: logger)
    }
}

extension CompositionRoot {
    /// The embedder when the model files are there (loaded in the background), else nil: search is lexical.
    static func makeEmbedder(environment: MemctxEnvironment, logger: Logger) -> SentenceEmbedder? {
        guard ModelDirectory.isComplete(environment.modelDirectory) else {
            logger.info("no embedding model: search is lexical only", metadata: ["model.dir": "\(environment.modelDirectory.path)"])
            return nil
        }
        logger.debug("embedding model found", metadata: ["model.dir": "\(environment.modelDirectory.path)"])
        return SentenceEmbedder(directory: environment.modelDirectory)
    }

    /// The service alone, for commands that work on the repository without serving (reindex).
    static func makeService(logger: Logger, environment: MemctxEnvironment = MemctxEnvironment()) throws -> ContextService {
        let store: SQLiteDocumentStore
        do {
            store = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: environment.databasePath))
        } catch {
            throw StartupError("cannot open the local database at \(environment.databasePath): \(error)")
        }
        var serviceConfiguration = ContextServiceConfiguration()
        serviceConfiguration.defaultProject = environment.project
        return ContextService(store: store, embedder: makeEmbedder(environment: environment, logger: logger), configuration: serviceConfiguration)
    }
}

/// A failure to start, printed on stderr as one line.
struct StartupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
