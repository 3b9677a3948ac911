package import Foundation
package import JSONRPC

/// The server's state: version, framing, uptime and the backends that are configured. See `health` in
/// protocol/openrpc.json.
package enum Health: RPCMethod {
    package static let name = "health"
    package typealias Params = EmptyParams

    package struct Result: Codable, Hashable, Sendable {
        /// `ok` when every configured backend answers.
        package var status: String
        /// memctx's version.
        package var version: String
        /// The framing this connection speaks (`lsp` or `ndjson`).
        package var framing: Framing
        /// When the server process started (UTC).
        package var startedAt: Date
        /// Seconds since the server process started.
        package var uptimeSeconds: Double
        /// The process id, to find the server in `ps` or logs.
        package var pid: Int
        /// The configured backends, by role; only what exists is listed.
        package var backends: [String: Backend]

        package init(
            status: String,
            version: String,
            framing: Framing,
            startedAt: Date,
            uptimeSeconds: Double,
            pid: Int,
            backends: [String: Backend]
        ) {
            self.status = status
            self.version = version
            self.framing = framing
            self.startedAt = startedAt
            self.uptimeSeconds = uptimeSeconds
            self.pid = pid
            self.backends = backends
        }
    }

    /// One configured backend.
    package struct Backend: Codable, Hashable, Sendable {
        /// The technology (`sqlite`, `postgresql`, `chromadb`).
        package var kind: String
        /// `ok`, or `unavailable` with `detail`.
        package var status: String
        package var detail: String?
        package init(kind: String, status: String, detail: String? = nil) {
            self.kind = kind
            self.status = status
            self.detail = detail
        }
    }
}
