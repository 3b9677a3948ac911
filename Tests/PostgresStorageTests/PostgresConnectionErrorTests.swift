import ContextCore
import Foundation
import Testing

@testable import PostgresStorage

/// What a client is told when the central repository cannot be used: the backend, the server and the cause,
/// never the password or the URL.
@Suite("PostgreSQL connection errors")
struct PostgresConnectionErrorTests {
    private static let secret = "Wr0ng-Secret-Pw"

    private func expectClear(_ error: ContextError, endpoint: String, cause: String, url: String) {
        #expect(error.code == .backendUnavailable)
        #expect(error.message.hasPrefix("PostgreSQL at \(endpoint): "), "\(error.message)")
        #expect(error.message.contains(cause), "\(error.message)")
        #expect(!error.message.contains(Self.secret), "the password leaked: \(error.message)")
        #expect(!error.message.contains(url), "the URL leaked: \(error.message)")
    }

    /// The first operation on a store whose server does not listen fails within the connect timeout.
    @Test func unreachableServerIsAClearError() async throws {
        let url = "postgres://memctx:\(Self.secret)@127.0.0.1:1/memctx?sslmode=disable"
        var configuration = try PostgresConfiguration(url: url)
        configuration.connectTimeout = .seconds(1)
        let store = try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
        let started = ContinuousClock.now
        let error = try await store.withRunning {
            await #expect(throws: ContextError.self) { try await store.migrate() }
        }
        let elapsed = ContinuousClock.now - started
        expectClear(try #require(error), endpoint: "127.0.0.1:1", cause: "connection refused", url: url)
        // A bound against hanging, not a speed figure: with every suite running at once on 2 cores the
        // connection attempts' timers fire late.
        #expect(elapsed < .seconds(120), "took \(elapsed)")
    }

    @Test(.postgresServer) func wrongPasswordIsAClearError() async throws {
        var configuration = try PostgresTestDatabase.configuration()
        configuration.password = Self.secret
        configuration.connectTimeout = .seconds(2)
        let store = try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
        let result = await store.withRunningResult { try await store.fetchStrings(unsafeSQL: "SELECT 1::text") }
        guard case .failure(let failure) = result else {
            try Test.cancel(
                "the server at \(configuration.endpoint) accepted a wrong password (trust authentication): start it with password authentication on TCP to check this error"
            )
        }
        let error = try #require(failure as? ContextError, "\(failure)")
        expectClear(
            error,
            endpoint: configuration.endpoint,
            cause: "password authentication failed for user \"\(configuration.username)\"",
            url: PostgresTestDatabase.url ?? ""
        )
    }

    private static func isEncrypted(_ configuration: PostgresConfiguration) async throws -> Bool {
        let store = try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
        let ssl = try await store.withRunning {
            try await store.fetchStrings(unsafeSQL: "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        }
        return ssl == ["true"]
    }

    @Test(.postgresServer) func missingDatabaseIsAClearError() async throws {
        var configuration = try PostgresTestDatabase.configuration()
        configuration.database = "memctx_no_such_database"
        configuration.connectTimeout = .seconds(2)
        let store = try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
        let result = await store.withRunningResult { try await store.fetchStrings(unsafeSQL: "SELECT 1::text") }
        guard case .failure(let failure) = result else {
            Issue.record("connected to a database that does not exist")
            return
        }
        let error = try #require(failure as? ContextError, "\(failure)")
        expectClear(
            error, endpoint: configuration.endpoint, cause: "database \"memctx_no_such_database\" does not exist",
            url: "")
    }

    /// `sslmode=require` insists on TLS; a server without it is refused rather than used in clear text.
    @Test(.postgresServer) func requiredTLSIsNotSilentlyDropped() async throws {
        var configuration = try PostgresTestDatabase.configuration()
        configuration.tlsMode = .require
        configuration.connectTimeout = .seconds(2)
        let store = try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
        let result = await store.withRunningResult { try await store.fetchStrings(unsafeSQL: "SHOW ssl") }
        switch result {
        case .success(let ssl):
            #expect(ssl == ["on"], "connected without TLS")
            let encrypted = try await Self.isEncrypted(configuration)
            #expect(encrypted)
        case .failure(let failure):
            let error = try #require(failure as? ContextError, "\(failure)")
            expectClear(error, endpoint: configuration.endpoint, cause: "does not accept TLS", url: "")
        }
    }

    /// `verify-full` checks the server's certificate: a self-signed one (as test servers have) is refused with a
    /// TLS error; one the system trusts connects.
    @Test(.postgresServer) func verifiedTLSChecksTheCertificate() async throws {
        var configuration = try PostgresTestDatabase.configuration()
        configuration.tlsMode = .verifyFull
        configuration.connectTimeout = .seconds(2)
        let store = try PostgresDocumentStore(configuration: configuration, logger: PostgresTestDatabase.logger)
        let result = await store.withRunningResult {
            try await store.fetchStrings(unsafeSQL: "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        }
        switch result {
        case .success(let ssl):
            #expect(ssl == ["true"])
        case .failure(let failure):
            let error = try #require(failure as? ContextError, "\(failure)")
            let cause = error.message.contains("does not accept TLS") ? "does not accept TLS" : "TLS handshake failed"
            expectClear(error, endpoint: configuration.endpoint, cause: cause, url: "")
        }
    }

    @Test(arguments: [
        ("42501", "may not create it; ask an administrator to run CREATE EXTENSION \"pg_trgm\""),
        ("0A000", "extension pg_trgm is not available on the server"),
        ("58P01", "extension pg_trgm is not available on the server"),
    ])
    func missingExtensionIsNamed(_ sqlState: String, _ cause: String) throws {
        let configuration = try PostgresConfiguration(url: "postgres://memctx:\(Self.secret)@db.internal:5432/memctx")
        let error = PostgresFailure.extensionMissing("pg_trgm", sqlState: sqlState, configuration: configuration)
        expectClear(error, endpoint: "db.internal:5432", cause: cause, url: "postgres://")
    }

    @Test(arguments: [
        ("28P01", "password authentication failed for user \"memctx\""),
        ("28000", "does not let user \"memctx\" log in"),
        ("3D000", "database \"memory\" does not exist"),
        ("53300", "too many connections"),
    ])
    func loginFailuresAreNamed(_ sqlState: String, _ cause: String) throws {
        let configuration = try PostgresConfiguration(url: "postgres://memctx:\(Self.secret)@db.internal/memory")
        #expect(PostgresFailure.loginProblem(sqlState: sqlState, configuration: configuration).contains(cause))
    }

    @Test func constraintViolationsAreTheCallersNotTheBackends() throws {
        let configuration = try PostgresConfiguration(url: "postgres://memctx@db.internal/memory")
        #expect(
            PostgresFailure.serverError(sqlState: "23505", operation: "x", configuration: configuration).code
                == .conflict)
        #expect(
            PostgresFailure.serverError(sqlState: "23514", operation: "x", configuration: configuration).code
                == .invalidInput)
        #expect(
            PostgresFailure.serverError(sqlState: "57014", operation: "x", configuration: configuration).code
                == .backendUnavailable)
    }
}

extension PostgresDocumentStore {
    /// Runs the pool around `body` and returns its outcome.
    fileprivate func withRunningResult<Value: Sendable>(_ body: () async throws -> Value) async -> Result<
        Value, any Error
    > {
        do {
            return .success(try await withRunning(body))
        } catch {
            return .failure(error)
        }
    }
}
