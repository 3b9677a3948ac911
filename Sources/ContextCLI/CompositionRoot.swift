import ContextCore
import ContextProtocol
import ContextServer
import Foundation
import Logging
import SQLiteStorage

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
        let service = ContextService(store: store, configuration: serviceConfiguration)
        var configuration = ServerConfiguration()
        configuration.backends["local"] = Health.Backend(kind: "sqlite", status: "ok", detail: environment.databasePath)
        logger.debug("local database ready", metadata: ["path": "\(environment.databasePath)", "project": "\(environment.project)"])
        return ContextServer(configuration: configuration, service: service, logger: logger)
    }
}

/// A failure to start, printed on stderr as one line.
struct StartupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
