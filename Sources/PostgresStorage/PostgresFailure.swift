import ContextCore
import Foundation
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// Turns postgres-nio, NIO and TLS errors into `ContextError`s whose messages name the backend, the server
/// (host and port) and the cause, and never the password, the URL, SQL or values.
enum PostgresFailure {
    static func unavailable(_ cause: String, configuration: PostgresConfiguration, underlying: (any Error)? = nil)
        -> ContextError
    {
        ContextError(.backendUnavailable, "PostgreSQL at \(configuration.endpoint): \(cause)", underlying: underlying)
    }

    /// Why a connection attempt failed.
    static func connectionFailed(_ error: any Error, configuration: PostgresConfiguration) -> ContextError {
        var failure = unavailable(
            connectionProblem(error, configuration: configuration), configuration: configuration, underlying: error)
        failure.needsConfiguration = isConfigurationProblem(error)
        return failure
    }

    /// The server answered and refused us (login, database, TLS): not a matter of waiting.
    static func isConfigurationProblem(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                return !["53300", "57P03"].contains(state)
            case .sslUnsupported, .failedToAddSSLHandler, .authMechanismRequiresPassword, .unsupportedAuthMechanism, .saslError:
                return true
            case .connectionError:
                return error.underlying.map(isConfigurationProblem) ?? false
            default:
                return false
            }
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return true
        default:
            return false
        }
    }

    static func connectionProblem(_ error: any Error, configuration: PostgresConfiguration) -> String {
        let user = configuration.username
        let tls = "sslmode=\(configuration.tlsMode.rawValue)"
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let state = error.serverInfo?[.sqlState] ?? ""
                return loginProblem(sqlState: state, configuration: configuration)
            case .sslUnsupported:
                return
                    "the server does not accept TLS connections (\(tls)); use sslmode=disable or enable ssl on the server"
            case .failedToAddSSLHandler:
                return "TLS could not be set up (\(tls))"
            case .authMechanismRequiresPassword:
                return "the server asks user \"\(user)\" for a password and the URL has none"
            case .unsupportedAuthMechanism:
                return "the server asks for an authentication method memctx does not support"
            case .saslError:
                return "password authentication failed for user \"\(user)\""
            case .connectionError:
                return error.underlying.map { networkProblem($0, configuration: configuration) } ?? "cannot connect"
            case .serverClosedConnection, .uncleanShutdown:
                return "the server closed the connection while logging in (\(tls))"
            default:
                return "cannot connect (\(error.code))"
            }
        }
        return networkProblem(error, configuration: configuration)
    }

    /// Errors the server sends instead of completing a login.
    static func loginProblem(sqlState: String, configuration: PostgresConfiguration) -> String {
        let user = configuration.username
        switch sqlState {
        case "28P01": return "password authentication failed for user \"\(user)\""
        case "28000":
            return "the server does not let user \"\(user)\" log in from here (no such role, or pg_hba.conf refuses it)"
        case "3D000": return "database \"\(configuration.database ?? user)\" does not exist"
        case "53300": return "the server has too many connections"
        case "57P03": return "the server is starting up, shutting down or in recovery"
        case "42501": return "user \"\(user)\" may not connect to database \"\(configuration.database ?? user)\""
        default: return "the server refused the login (SQLSTATE \(sqlState))"
        }
    }

    static func networkProblem(_ error: any Error, configuration: PostgresConfiguration) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first {
                return networkProblem(first.error, configuration: configuration)
            }
            return error.dnsAError != nil || error.dnsAAAAError != nil
                ? "the host name \(configuration.host) could not be resolved"
                : "no address found for \(configuration.host)"
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused (is the server running and listening on this port?)"
            case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
            case ETIMEDOUT: return "connection timed out"
            case ECONNRESET: return "the connection was reset"
            default: return "cannot connect (\(String(cString: strerror(error.errnoCode))))"
            }
        case let error as ChannelError:
            if case .connectTimeout = error {
                let seconds = PostgresConfiguration.milliseconds(configuration.connectTimeout) / 1000
                return "no answer within \(seconds) s (connect_timeout)"
            }
            return "the connection failed (\(error))"
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            let check =
                switch configuration.tlsMode {
                case .verifyFull: "the certificate is not trusted or does not name \(configuration.host)"
                case .verifyCA: "the certificate is not trusted"
                default: "the server's TLS could not be negotiated"
                }
            return "TLS handshake failed: \(check) (sslmode=\(configuration.tlsMode.rawValue))"
        case is CancellationError:
            return "the connection attempt was cancelled"
        default:
            return "cannot connect"
        }
    }

    /// The error of creating an extension during `migrate()`.
    static func extensionMissing(_ name: String, error: any Error, configuration: PostgresConfiguration) -> ContextError
    {
        guard let psql = error as? PSQLError, psql.code == .server else {
            return map(error, operation: "creating extension \(name)", configuration: configuration)
        }
        return extensionMissing(
            name, sqlState: psql.serverInfo?[.sqlState] ?? "", configuration: configuration, underlying: error)
    }

    static func extensionMissing(
        _ name: String,
        sqlState: String,
        configuration: PostgresConfiguration,
        underlying: (any Error)? = nil
    ) -> ContextError {
        let cause =
            switch sqlState {
            case "42501":
                "extension \(name) is not installed in the database and user \"\(configuration.username)\" may not create it; ask an administrator to run CREATE EXTENSION \"\(name)\""
            case "58P01", "0A000", "42704":
                "extension \(name) is not available on the server (install PostgreSQL's contrib modules, e.g. the postgresql-contrib package)"
            default:
                "extension \(name) is not installed and could not be created (SQLSTATE \(sqlState))"
            }
        var failure = unavailable(cause, configuration: configuration, underlying: underlying)
        failure.needsConfiguration = true
        return failure
    }

    /// Deadlocks and serialisation failures: the transaction may simply be run again.
    static func isRetryable(_ error: PSQLError) -> Bool {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// An error raised while `operation` ran on a connection.
    static func map(_ error: any Error, operation: String, configuration: PostgresConfiguration) -> ContextError {
        if let error = error as? ContextError { return error }
        guard let psql = error as? PSQLError else {
            if error is PostgresDecodingError {
                return ContextError(
                    .internalFailure, "PostgreSQL returned a value memctx cannot read while \(operation)",
                    underlying: error)
            }
            return unavailable("failed while \(operation)", configuration: configuration, underlying: error)
        }
        switch psql.code {
        case .server:
            return serverError(
                sqlState: psql.serverInfo?[.sqlState] ?? "",
                operation: operation,
                configuration: configuration,
                underlying: error
            )
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return unavailable(
                "the connection was lost while \(operation)", configuration: configuration, underlying: error)
        case .poolClosed:
            return unavailable(
                "the connection pool is closed (its run() has ended)", configuration: configuration, underlying: error)
        case .queryCancelled:
            return unavailable(
                "the query was cancelled while \(operation)", configuration: configuration, underlying: error)
        case .tooManyParameters:
            return ContextError(.invalidInput, "too many values in one request while \(operation)", underlying: error)
        default:
            return unavailable(
                "failed while \(operation) (\(psql.code))", configuration: configuration, underlying: error)
        }
    }

    /// A server error by SQLSTATE class: constraint violations are the caller's (conflict, invalid input);
    /// the rest is the backend's.
    static func serverError(
        sqlState: String,
        operation: String,
        configuration: PostgresConfiguration,
        underlying: (any Error)? = nil
    ) -> ContextError {
        switch sqlState {
        case "23505":
            return ContextError(
                .conflict, "an item with the same key already exists (\(operation))", underlying: underlying)
        case "23503":
            return ContextError(
                .invalidInput, "refers to an item that does not exist (\(operation))", underlying: underlying)
        case "23514", "23502", "23P01":
            return ContextError(
                .invalidInput, "a value is out of the allowed range (\(operation))", underlying: underlying)
        case "57014":
            let seconds = PostgresConfiguration.milliseconds(configuration.queryTimeout) / 1000
            return unavailable(
                "the query ran longer than \(seconds) s while \(operation)", configuration: configuration,
                underlying: underlying)
        case "40001", "40P01":
            return unavailable(
                "concurrent writes conflicted while \(operation); try again", configuration: configuration,
                underlying: underlying)
        case "42P01", "42703":
            return unavailable(
                "the schema is missing or out of date while \(operation) (memctx migrates it when it starts: run `memctx doctor`, then start memctx once)",
                configuration: configuration,
                underlying: underlying
            )
        case "42501":
            return unavailable(
                "user \"\(configuration.username)\" lacks a privilege needed while \(operation)",
                configuration: configuration,
                underlying: underlying
            )
        case "42883", "42704":
            return unavailable(
                "a function or operator class is missing while \(operation) (is the pg_trgm extension installed?)",
                configuration: configuration,
                underlying: underlying
            )
        default:
            if sqlState.hasPrefix("22") {
                return ContextError(
                    .invalidInput, "a value cannot be stored (\(operation), SQLSTATE \(sqlState))",
                    underlying: underlying)
            }
            if sqlState.hasPrefix("08") || sqlState.hasPrefix("57") || sqlState.hasPrefix("53") {
                return unavailable(
                    "the server failed while \(operation) (SQLSTATE \(sqlState))", configuration: configuration,
                    underlying: underlying)
            }
            return unavailable(
                "failed while \(operation) (SQLSTATE \(sqlState))", configuration: configuration, underlying: underlying
            )
        }
    }
}
