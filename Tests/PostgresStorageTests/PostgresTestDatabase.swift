import ContextCore
import Foundation
import Logging
import PostgresStorage
import Testing

/// The PostgreSQL server the suites run against: `MEMCTX_DATABASE_URL` (the README's test command starts one
/// and sets it). Each test works in a schema of its own, created and migrated for it and dropped after it,
/// so tests run in parallel without seeing each other's rows.
enum PostgresTestDatabase {
    static let url = ProcessInfo.processInfo.environment["MEMCTX_DATABASE_URL"]

    static var isConfigured: Bool { url != nil }

    static let logger: Logger = {
        var logger = Logger(label: "memctx.tests.postgres")
        logger.logLevel = .error
        return logger
    }()

    /// The server's configuration with a small pool (many tests run at once) and `schema`.
    static func configuration(schema: String? = nil) throws -> PostgresConfiguration {
        var configuration = try PostgresConfiguration(url: try #require(url, "MEMCTX_DATABASE_URL is not set"))
        configuration.poolSize = 3
        configuration.schema = schema
        // The suite runs beside every other suite on a 2-core machine: a first connection (SCRAM login) can
        // take seconds there. The connect-timeout errors themselves are tested with unreachable ports.
        configuration.connectTimeout = .seconds(20)
        return configuration
    }

    static func makeSchemaName() -> String {
        "memctx_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }

    /// Runs `body` with a migrated store in a fresh schema, then drops the schema.
    static func withStore<Result: Sendable>(
        schema: String = makeSchemaName(),
        _ body: (PostgresDocumentStore) async throws -> Result
    ) async throws -> Result {
        try await extensionsReady.value
        let store = try PostgresDocumentStore(configuration: try configuration(schema: schema), logger: logger)
        return try await store.withRunning {
            do {
                try await store.migrate()
                let result = try await body(store)
                try await store.dropSchema()
                return result
            } catch {
                try? await store.dropSchema()
                throw error
            }
        }
    }

    /// The extensions, created once in `public` before any test schema exists. Otherwise the first test to
    /// migrate would create them in its own schema, and dropping that schema would drop them for everyone.
    private static let extensionsReady = Task {
        let store = try PostgresDocumentStore(configuration: try configuration(), logger: logger)
        try await store.withRunning {
            for name in ["pg_trgm", "pgcrypto", "uuid-ossp"] {
                _ = try await store.fetchStrings(unsafeSQL: "CREATE EXTENSION IF NOT EXISTS \"\(name)\" SCHEMA public")
            }
        }
    }

    /// A service over `store` in project `project`.
    static func service(_ store: PostgresDocumentStore, project: String = "alpha", embedder: (any Embedder)? = nil)
        -> ContextService
    {
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = project
        return ContextService(store: store, embedder: embedder, configuration: configuration)
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when `MEMCTX_DATABASE_URL` names a server; a bare `swift test` skips it and says why.
    static var postgresServer: Self {
        .enabled(
            if: PostgresTestDatabase.isConfigured,
            "MEMCTX_DATABASE_URL is not set: start PostgreSQL (scripts/dev-services.sh or the README's test command) to run the PostgreSQL suites"
        )
    }
}
