package import ContextCore
package import Foundation

/// Where the central vector index lives and how to talk to it: a ChromaDB server (HTTP API v2).
///
/// Defaults are those of a fresh ChromaDB 1.x server and of DESIGN.md §5: the `default_tenant` /
/// `default_database`, collections `sessions_embeddings`, `checkpoints_embeddings` and
/// `patterns_embeddings`, 384-dimension vectors (all-MiniLM-L6-v2).
///
/// ```swift
/// var configuration = ChromaConfiguration(url: URL(string: "http://127.0.0.1:8000")!)
/// configuration.token = environment["MEMCTX_CHROMA_TOKEN"]
/// let index = ChromaVectorIndex(configuration: configuration)
/// try await index.prepare()
/// ```
///
/// - Important: `token` is sent as `X-Chroma-Token` (Chroma Cloud or an auth proxy; the open-source
///   server checks none) and never appears in `description`, logs or errors; neither does the URL's path,
///   query or user info — only its host and port.
package struct ChromaConfiguration: Sendable, CustomStringConvertible {
    /// The server's base URL, e.g. `http://127.0.0.1:8000` (a path prefix is kept, for servers behind a proxy).
    package var url: URL
    /// Sent as the `X-Chroma-Token` header when set (and not empty).
    package var token: String?
    /// The tenant holding the database; created by `prepare()` when missing.
    package var tenant = "default_tenant"
    /// The database holding the collections; created by `prepare()` when missing.
    package var database = "default_database"
    /// Put before every collection name, so parallel test runs (or several deployments sharing one server)
    /// do not collide. Chroma names are 3–512 characters of `[a-zA-Z0-9._-]`, alphanumeric at both ends.
    package var collectionPrefix = ""
    /// The collection of session vectors (before `collectionPrefix`).
    package var sessionsCollection = "sessions_embeddings"
    /// The collection of checkpoint vectors (before `collectionPrefix`).
    package var checkpointsCollection = "checkpoints_embeddings"
    /// The collection of pattern vectors (before `collectionPrefix`).
    package var patternsCollection = "patterns_embeddings"
    /// The length of every vector; vectors of another length are refused before anything is sent.
    package var dimension = 384
    /// How long one request (connect, send, answer) may take.
    package var requestTimeout: Duration = .seconds(5)
    /// How long the reachability probe (`heartbeat()`, and the first request of `prepare()`) may take, so
    /// an unreachable server is reported quickly. URLSession has no separate connect timeout; a refused
    /// connection fails at once anyway.
    package var connectTimeout: Duration = .seconds(2)
    /// Records sent per `upsert`/`get`/`delete` request. ChromaDB 1.5.9 accepts up to 5461
    /// (`/api/v2/pre-flight-checks`); 384 floats are about 4 KB of JSON, so 500 keeps bodies near 2 MB.
    package var batchSize = 500

    package init(url: URL, token: String? = nil) {
        self.url = url
        self.token = token
    }

    /// The full name of the collection holding vectors of `kind`.
    package func collectionName(for kind: ItemKind) -> String {
        switch kind {
        case .session: collectionPrefix + sessionsCollection
        case .checkpoint: collectionPrefix + checkpointsCollection
        case .pattern: collectionPrefix + patternsCollection
        }
    }

    /// `host:port` of the server, the only part of the URL that messages show (no user info, path or query).
    package var endpoint: String {
        let host = url.host ?? "?"
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        return "\(bracketed):\(port)"
    }

    /// The server, tenant, database and collection prefix; never the token.
    package var description: String {
        var text = "ChromaDB at \(endpoint), \(tenant)/\(database)"
        if !collectionPrefix.isEmpty { text += ", collection prefix '\(collectionPrefix)'" }
        if let token, !token.isEmpty { text += ", with a token" }
        return text
    }
}
