package import ContextCore
import Foundation
import PostgresNIO

/// Settings of the central repository's PostgreSQL connection pool, usually parsed from `MEMCTX_DATABASE_URL`
/// (`postgres://user:password@host:port/database?sslmode=require`).
///
/// - Important: `description` never shows the password; errors built from a configuration name the host,
///   port, user and database only, never the URL.
package struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// How the connection is encrypted, with libpq's `sslmode` names.
    package enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP.
        case disable
        /// TLS without certificate checks when the server offers it, else plain TCP (libpq's default).
        case prefer
        /// TLS, or fail; the certificate is not checked (libpq's `require`).
        case require
        /// TLS with the certificate checked against the trusted roots, but not the host name.
        case verifyCA = "verify-ca"
        /// TLS with the certificate and the host name checked.
        case verifyFull = "verify-full"
    }

    package var host: String
    package var port = 5432
    package var username: String
    package var password: String?
    /// nil: the server's default (the user's name).
    package var database: String?
    /// `sslmode`; libpq's default `prefer` when the URL names none.
    package var tlsMode = TLSMode.prefer
    /// `sslrootcert`: a PEM file of trusted roots for `verify-ca` / `verify-full` (default: the system's roots);
    /// ignored by `prefer` and `require`, which do not check certificates.
    package var rootCertificatePath: String?
    /// Most connections the pool opens at once.
    package var poolSize = 10
    /// How long opening a connection (TCP, TLS and authentication), or waiting for a free one, may take before
    /// an operation fails as unavailable. Short, so an offline laptop falls back to its local database quickly.
    package var connectTimeout: Duration = .seconds(3)
    /// The server cancels a statement that runs longer (`statement_timeout`).
    package var queryTimeout: Duration = .seconds(30)
    /// The schema the tables live in (created by `migrate()` when missing); nil: the role's default
    /// `search_path`. Extensions are looked up in it and in `public`.
    package var schema: String?
    /// Reported to the server as `application_name`.
    package var applicationName = "memctx"

    package init(host: String, port: Int = 5432, username: String, password: String?, database: String?) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a `postgres://` or `postgresql://` URL: user, password and database are percent-decoded; the port
    /// defaults to 5432. Query parameters: `sslmode` (disable, prefer, require, verify-ca, verify-full),
    /// `sslrootcert`, `connect_timeout` (seconds), `application_name`.
    ///
    /// Errors are `ContextError.invalidInput` naming what is wrong, never quoting the URL or the password.
    package init(url: String) throws(ContextError) {
        let text = url.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let schemeEnd = text.range(of: "://") else {
            throw Self.invalid("must start with postgres:// or postgresql://")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw Self.invalid("must start with postgres:// or postgresql://")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var queryText: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        var authority = rest
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[rest.index(after: slash)...]
        }
        var userInfo: Substring?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            userInfo = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
        }

        var username: String?
        var password: String?
        if let userInfo {
            let parts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = try Self.decode(parts[0], what: "user name")
            if parts.count > 1 { password = try Self.decode(parts[1], what: "password") }
        }
        guard let username, !username.isEmpty else {
            throw Self.invalid("must name a user (postgres://user@host/database)")
        }

        var host: String
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else {
                throw Self.invalid("has an unterminated IPv6 address")
            }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw Self.invalid("has characters after the IPv6 address")
            }
        } else {
            if hostPort.contains(",") { throw Self.invalid("names several hosts; memctx connects to one") }
            if let colon = hostPort.lastIndex(of: ":") {
                portText = hostPort[hostPort.index(after: colon)...]
                hostPort = hostPort[..<colon]
            }
            host = try Self.decode(hostPort, what: "host")
        }
        guard !host.isEmpty else { throw Self.invalid("must name a host (postgres://user@host/database)") }

        self.init(host: host, username: username, password: password, database: nil)
        if let portText {
            guard let port = Int(portText), (1...65_535).contains(port) else {
                throw Self.invalid("has a port that is not a number between 1 and 65535")
            }
            self.port = port
        }
        let database = try Self.decode(path, what: "database name")
        self.database = database.isEmpty ? nil : database

        for pair in queryText.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decode(parts[0], what: "parameter name")
            let value = parts.count > 1 ? try Self.decode(parts[1], what: "parameter \(key)") : ""
            try apply(parameter: key, value: value)
        }
    }

    private mutating func apply(parameter key: String, value: String) throws(ContextError) {
        switch key {
        case "sslmode":
            guard let mode = TLSMode(rawValue: value) else {
                let known = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw Self.invalid(
                    "has sslmode '\(value.prefix(20))', which memctx does not support; use one of \(known)")
            }
            tlsMode = mode
        case "sslrootcert":
            guard FileManager.default.isReadableFile(atPath: value) else {
                throw Self.invalid("names an sslrootcert file that cannot be read")
            }
            rootCertificatePath = value
        case "connect_timeout":
            guard let seconds = Int(value), seconds > 0, seconds <= 3600 else {
                throw Self.invalid("has a connect_timeout that is not a whole number of seconds (1…3600)")
            }
            connectTimeout = .seconds(seconds)
        case "application_name":
            applicationName = value
        default:
            throw Self.invalid(
                "has the parameter '\(key.prefix(40))', which memctx does not know (known: sslmode, sslrootcert, connect_timeout, application_name)"
            )
        }
    }

    private static func decode(_ text: Substring, what: String) throws(ContextError) -> String {
        guard let decoded = String(text).removingPercentEncoding else {
            throw invalid("has a \(what) with invalid percent-encoding")
        }
        return decoded
    }

    private static func invalid(_ reason: String) -> ContextError {
        ContextError(.invalidInput, "MEMCTX_DATABASE_URL \(reason)", field: "databaseURL")
    }

    /// `host:port` as errors name the server (IPv6 addresses in brackets).
    package var endpoint: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The URL without the password: `postgres://user@host:port/database?sslmode=…`.
    package var description: String {
        var text = "postgres://\(username)@\(endpoint)/\(database ?? "")?sslmode=\(tlsMode.rawValue)"
        if let schema { text += " (schema \(schema))" }
        return text
    }
}

extension PostgresConfiguration {
    /// A schema name memctx accepts: lower-case letters, digits and `_`, not starting with a digit, at most 63
    /// characters. It is spliced into DDL as an identifier, so nothing else may get through.
    static func isValidSchemaName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63,
            !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return false }
        return name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }

    /// The TLS settings of the mode, for NIOSSL.
    var tlsConfiguration: TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch tlsMode {
        case .disable: return nil
        case .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let rootCertificatePath, tlsMode == .verifyCA || tlsMode == .verifyFull {
            tls.trustRoots = .file(rootCertificatePath)
        }
        return tls
    }

    /// Parameters sent in the startup packet: run-time settings of every pooled connection.
    var startupParameters: [(String, String)] {
        var parameters = [
            ("application_name", applicationName),
            ("statement_timeout", String(Self.milliseconds(queryTimeout))),
        ]
        // The schema name is checked by `isValidSchemaName` before a store is made.
        if let schema { parameters.append(("search_path", "\(schema), public")) }
        return parameters
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    func makeClientConfiguration() -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch tlsMode {
            case .disable: .disable
            case .prefer: .prefer(tlsConfiguration!)
            case .require, .verifyCA, .verifyFull: .require(tlsConfiguration!)
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.minimumConnections = 0
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    /// The settings of a single connection outside the pool (used to find out why the pool cannot connect).
    func makeConnectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS =
            switch tlsMode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration!))
            case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration!))
            }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tls
        )
        configuration.options.connectTimeout = .milliseconds(Self.milliseconds(connectTimeout))
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }
}
