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
        /// The embedding model: whether semantic search is available, and why not.
        package var embedding: Embedding?
        /// With a central repository: whether it is reachable and what waits to be pushed to it.
        package var sync: SyncState?

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

    /// The sentence-embedding model behind semantic and hybrid search.
    package struct Embedding: Codable, Hashable, Sendable {
        /// `ok`; `not installed` (no model files: search is lexical only); `unavailable` (files that do not load).
        package var status: String
        package var model: String
        package var dimension: Int
        /// Where the model files are (or are looked for).
        package var directory: String
        /// The search modes that work now.
        package var searchModes: [String]
        /// Writes since start-up whose item could not be embedded (`memctx reindex` repairs them).
        package var failedWrites: Int?
        package var detail: String?
        package init(
            status: String,
            model: String,
            dimension: Int,
            directory: String,
            searchModes: [String],
            failedWrites: Int? = nil,
            detail: String? = nil
        ) {
            self.status = status
            self.model = model
            self.dimension = dimension
            self.directory = directory
            self.searchModes = searchModes
            self.failedWrites = failedWrites
            self.detail = detail
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

    /// The local copy's standing with the central repository.
    package struct SyncState: Codable, Hashable, Sendable {
        /// Both central services reachable and the schema ready: writes are pushed at once, reads are central.
        package var online: Bool
        /// Changes written here and not yet in the central repository (all processes on this database).
        package var outboxDepth: Int
        /// When the oldest of them was written.
        package var oldestPending: Date?
        /// When this process last emptied a batch of the outbox into the central repository.
        package var lastSync: Date?
        /// Changes this process pushed, and pushes that failed, since it started.
        package var pushed: Int
        package var failed: Int
        /// Why the central repository is not in use, or the last error a push met.
        package var detail: String?

        package init(
            online: Bool, outboxDepth: Int, oldestPending: Date?, lastSync: Date?, pushed: Int, failed: Int, detail: String?
        ) {
            self.online = online
            self.outboxDepth = outboxDepth
            self.oldestPending = oldestPending
            self.lastSync = lastSync
            self.pushed = pushed
            self.failed = failed
            self.detail = detail
        }
    }
}
