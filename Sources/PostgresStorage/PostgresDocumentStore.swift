package import ContextCore
import Foundation
package import Logging
import PostgresNIO
import Synchronization

/// The central repository's documents: a `DocumentStore` on PostgreSQL (postgres-nio's `PostgresClient` pool),
/// with full-text (`tsvector`, `ts_rank_cd`) and trigram (pg_trgm) lexical search.
///
/// The pool does its background work in `run()`: the composition root runs it in its task group (or
/// `ServiceGroup`) for as long as the store is used, and cancels it to close the pool; `withRunning(_:)` does
/// both around a body, for commands and tests. Call `migrate()` once before the first use.
///
/// Item vectors of the central repository live in ChromaDB: this store only records which items have a vector
/// by which model (`embedding_status`), so `embeddings(of:model:after:)` returns none (see there).
///
/// - Important: Every failure is a `ContextError`. A server that cannot be reached, refuses the login or
///   lacks an extension is `backendUnavailable` with a message naming PostgreSQL, the host and port and the
///   cause, never the password or the URL. Waiting for a connection is bounded by `connectTimeout`; a
///   statement by `queryTimeout` (the server's `statement_timeout`).
package final class PostgresDocumentStore: DocumentStore {
    package let configuration: PostgresConfiguration
    let client: PostgresClient
    let logger: Logger
    private let hasRun = Mutex(false)
    /// The commonest words of each kind's text and about how many items hold them (see `termStatistics`).
    let commonTerms = Mutex<[ItemKind: (read: ContinuousClock.Instant, statistics: TermStatistics)]>([:])
    /// When a connection was last leased: while the server answers, waiting for a busy pool is queueing, not a
    /// sign that the server is gone.
    private let lastLease = Mutex<ContinuousClock.Instant?>(nil)

    /// Makes the pool (no connection is opened until the first use). Throws `invalidInput` for a schema name
    /// memctx does not accept.
    package init(configuration: PostgresConfiguration, logger: Logger) throws(ContextError) {
        if let schema = configuration.schema, !PostgresConfiguration.isValidSchemaName(schema) {
            throw ContextError(
                .invalidInput,
                "the PostgreSQL schema name must be lower-case letters, digits and '_' (at most 63), not starting with a digit",
                field: "schema"
            )
        }
        self.configuration = configuration
        self.logger = logger
        // The pool reports every failed connection attempt at `info`; while the server is away that would
        // repeat for as long as it is away, so its background messages start at `warning`.
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        self.client = PostgresClient(
            configuration: configuration.makeClientConfiguration(), backgroundLogger: background)
    }

    /// Runs the connection pool until the calling task is cancelled (or a `ServiceGroup` shuts down gracefully).
    /// Operations wait for a connection only while this runs. A store runs once: a second call throws.
    package func run() async throws {
        let first = hasRun.withLock { hasRun in
            defer { hasRun = true }
            return !hasRun
        }
        guard first else {
            throw ContextError(.internalFailure, "the PostgreSQL store's run() was called twice")
        }
        logger.debug("PostgreSQL connection pool starting", metadata: ["cancelled": "\(Task.isCancelled)"])
        await client.run()
        logger.debug("PostgreSQL connection pool stopped", metadata: ["cancelled": "\(Task.isCancelled)"])
    }

    /// Whether `run()` has been called (the pool is starting or running).
    package var isRunning: Bool { hasRun.withLock { $0 } }

    /// Runs the pool for the duration of `body`, then closes it.
    package func withRunning<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    /// Brings the schema up to date: creates the extensions that are missing, then applies the migrations not
    /// yet recorded in `db_metadata`, in one transaction under an advisory lock, so processes starting together
    /// migrate once. Safe to call at every start.
    package func migrate() async throws {
        try await withTransaction("migrating the schema") { connection in
            // Migrations are not cut short by the query timeout: a later one may build an index over a large
            // table, and waiting for another process's migration is expected.
            try await connection.query("SET LOCAL statement_timeout = 0", logger: self.logger)
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLockKey))", logger: self.logger)
            if let schema = self.configuration.schema {
                // The name passed `isValidSchemaName` in init: it is spliced in as an identifier, not a value.
                try await connection.query(
                    "CREATE SCHEMA IF NOT EXISTS \(unescaped: "\"\(schema)\"")", logger: self.logger)
            }
            try await self.createMissingExtensions(on: connection)
            let applied = try await self.appliedMigrations(on: connection)
            for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(statement, logger: self.logger)
                }
                try await connection.query(
                    """
                    INSERT INTO db_metadata (key, value, updated_at) VALUES ('schema_version', \(migration.name), now())
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """,
                    logger: self.logger
                )
                try await connection.query(
                    """
                    INSERT INTO db_metadata (key, value, updated_at)
                    VALUES ('migration:' || \(migration.name),
                            to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), now())
                    """,
                    logger: self.logger
                )
                self.logger.info("applied PostgreSQL migration", metadata: ["db.migration": "\(migration.name)"])
            }
        }
    }

    private func createMissingExtensions(on connection: PostgresConnection) async throws {
        let installed = try await connection.query(
            "SELECT extname FROM pg_extension WHERE extname = ANY(\(PostgresSchema.extensions))",
            logger: logger
        ).collect().map { try $0.decode(String.self) }
        for name in PostgresSchema.extensions where !installed.contains(name) {
            do {
                // `name` is one of the constants in `PostgresSchema.extensions`.
                try await connection.query("CREATE EXTENSION IF NOT EXISTS \(unescaped: "\"\(name)\"")", logger: logger)
            } catch {
                throw PostgresFailure.extensionMissing(name, error: error, configuration: configuration)
            }
        }
    }

    private func appliedMigrations(on connection: PostgresConnection) async throws -> [String] {
        // Only the schema tables are created in (the first of the search path) counts: another schema on the
        // path may hold another installation.
        let exists =
            try await connection.query(
                "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'db_metadata')",
                logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return [] }
        return try await connection.query(
            "SELECT substr(key, 11) FROM db_metadata WHERE key LIKE 'migration:%'",
            logger: logger
        ).collect().map { try $0.decode(String.self) }
    }

    /// The schema version recorded in `db_metadata`; nil when memctx never migrated this database (or schema).
    package func schemaVersion() async throws -> String? {
        try await withConnection("reading the schema version") { connection in
            // to_regclass is NULL when the table does not exist in the search path: no error to map.
            let exists = try await connection.query("SELECT to_regclass('db_metadata') IS NOT NULL", logger: self.logger)
                .collect().first?.decode(Bool.self) ?? false
            guard exists else { return nil }
            return try await connection.query(
                "SELECT value FROM db_metadata WHERE key = 'schema_version'", logger: self.logger
            )
            .collect().first?.decode(String.self)
        }
    }

    /// Names of the migrations applied, in the order memctx defines them.
    package func appliedMigrations() async throws -> [String] {
        let applied = try await withConnection("reading the migrations") { connection in
            try await self.appliedMigrations(on: connection)
        }
        return PostgresSchema.migrations.map(\.name).filter(applied.contains)
    }

    /// Runs a read-only query and returns the first column of each row as text (NULL as ""), for tests and
    /// diagnostics.
    ///
    /// - Important: `sql` is sent as it is: pass constants only, never text from a request.
    package func fetchStrings(unsafeSQL sql: String) async throws -> [String] {
        try await withConnection("running a diagnostic query") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: self.logger).collect().map { row in
                try row.decode(String?.self) ?? ""
            }
        }
    }

    /// Drops the configured schema and everything in it (tests clean up with it). Does nothing without a schema.
    package func dropSchema() async throws {
        guard let schema = configuration.schema else { return }
        try await withConnection("dropping the schema") { connection in
            // The name passed `isValidSchemaName` in init.
            _ = try await connection.query(
                "DROP SCHEMA IF EXISTS \(unescaped: "\"\(schema)\"") CASCADE", logger: self.logger)
        }
    }
}

// MARK: - Running operations

extension PostgresDocumentStore {
    /// Runs `body` on a pooled connection. Waiting for the connection is bounded by `connectTimeout`; when no
    /// connection can be had, a direct connection attempt finds out why, and the error says so.
    func withConnection<Result: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let leased = LeaseFlag()
        // A server that gave out a connection in the last 10 s is up: requests may queue for a busy pool as long
        // as a query may run. Otherwise a lease that takes longer than connectTimeout means it is unreachable.
        let now = ContinuousClock.now
        let isAnswering = lastLease.withLock { last in last.map { now - $0 < .seconds(10) } ?? false }
        let leaseTimeout = isAnswering ? max(configuration.queryTimeout, configuration.connectTimeout) : configuration.connectTimeout
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        leased.set()
                        self.lastLease.withLock { $0 = .now }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: leaseTimeout)
                    if leased.isSet { return nil }
                    throw LeaseTimeout()
                }
                while let result = try await group.next() {
                    if let result {
                        group.cancelAll()
                        return result
                    }
                }
                throw ContextError(.internalFailure, "a PostgreSQL operation ended without a result")
            }
        } catch let error as ContextError {
            throw error
        } catch let failure as VectorWriteFailure {
            throw failure  // the vector index's, not PostgreSQL's
        } catch is CancellationError where Task.isCancelled {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if leased.isSet {
                throw PostgresFailure.map(error, operation: operation, configuration: configuration)
            }
            // No connection was had: the pool keeps the cause of failed connection attempts to itself, so ask
            // the server directly.
            logger.debug("no PostgreSQL connection", metadata: ["db.operation": "\(operation)", "error": "\(error)"])
            throw await diagnose(waitingFor: operation, after: leaseTimeout)
        }
    }

    /// Runs `body` in a transaction (rolled back when it throws), retrying a few times when PostgreSQL aborts it
    /// for a deadlock or a serialisation failure.
    func withTransaction<Result: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withConnection(operation) { connection in
            var attempt = 1
            while true {
                do {
                    return try await self.transaction(on: connection, body)
                } catch let error as PSQLError where attempt < 3 && PostgresFailure.isRetryable(error) {
                    attempt += 1
                    self.logger.debug("retrying a PostgreSQL transaction", metadata: ["db.operation": "\(operation)"])
                }
            }
        }
    }

    private func transaction<Result: Sendable>(
        on connection: PostgresConnection,
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await connection.query("BEGIN", logger: logger)
        do {
            let result = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            do {
                try await connection.query("ROLLBACK", logger: logger)
            } catch let rollbackError {
                // A connection that cannot roll back must not go back to the pool mid-transaction.
                logger.debug(
                    "closing a PostgreSQL connection whose transaction could not be rolled back",
                    metadata: ["error": "\(String(reflecting: error))", "rollback": "\(String(reflecting: rollbackError))"])
                try? await connection.close()
            }
            throw error
        }
    }

    /// Connects once, directly (not through the pool), and runs `SELECT 1`: the quickest way to learn whether
    /// PostgreSQL can be used — a refused connection or a wrong password fails at once, where the pool would
    /// keep retrying until `connectTimeout`.
    package func probeConnection() async throws {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try configuration.makeConnectionConfiguration(),
                id: 0,
                logger: logger
            )
            do {
                try await connection.query("SELECT 1", logger: logger)
            } catch {
                try? await connection.close()
                throw PostgresFailure.map(error, operation: "probing the server", configuration: configuration)
            }
            try? await connection.close()
        } catch let error as ContextError {
            throw error
        } catch {
            throw PostgresFailure.connectionFailed(error, configuration: configuration)
        }
    }

    /// Why no connection can be had, from one direct connection attempt (bounded by `connectTimeout`).
    private func diagnose(waitingFor operation: String, after timeout: Duration) async -> ContextError {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: try configuration.makeConnectionConfiguration(),
                id: 0,
                logger: logger
            )
            try? await connection.close()
            let seconds = PostgresConfiguration.milliseconds(timeout) / 1000
            return PostgresFailure.unavailable(
                "no pooled connection became free within \(seconds) s while \(operation) (pool of \(configuration.poolSize))",
                configuration: configuration
            )
        } catch {
            return PostgresFailure.connectionFailed(error, configuration: configuration)
        }
    }

    /// Decodes every row of a query.
    func rows<Item>(
        _ query: PostgresQuery,
        on connection: PostgresConnection,
        _ decode: (PostgresRow) throws -> Item
    ) async throws -> [Item] {
        try await connection.query(query, logger: logger).collect().map(decode)
    }
}

/// Waiting for a pooled connection took longer than `connectTimeout`.
private struct LeaseTimeout: Error {}

/// Whether an operation got its pooled connection (shared by the operation and its watchdog).
private final class LeaseFlag: Sendable {
    private let state = Mutex(false)

    func set() { state.withLock { $0 = true } }

    var isSet: Bool { state.withLock { $0 } }
}
