package import ContextCore
import Synchronization

/// The central repository's `VectorIndex`: one ChromaDB collection per item kind (`sessions_embeddings`,
/// `checkpoints_embeddings`, `patterns_embeddings`), cosine space, document id = item id, and metadata
/// that search filters on (`project`, `patternType`, `sessionId`, `privacyLevel`, plus `model` and
/// `createdAt` in Unix milliseconds).
///
/// Call `prepare()` once at start: it checks the server answers, creates the tenant, database and
/// collections that are missing, and checks existing collections use cosine distance. Record methods
/// prepare on first use if that was skipped, and re-resolve a collection that was deleted behind their back.
///
/// - Important: Every failure is a `ContextError` naming ChromaDB: `backendUnavailable` when the server
///   cannot be reached or fails (5xx), `invalidInput` for what it rejects (400/422, e.g. a vector of another
///   dimension, which is also refused before sending), `notFound` / `conflict` for 404 / 409. Messages show
///   the server as `host:port` only, never the token or the full URL.
package final class ChromaVectorIndex: VectorIndex {
    /// What this index talks to.
    package let configuration: ChromaConfiguration
    let client: ChromaHTTPClient
    /// Collection UUIDs by kind, once resolved (record routes take the UUID, not the name).
    private let collectionIDs = Mutex<[ItemKind: String]>([:])
    /// The share of an unfiltered query's records that passed the filter lately, by kind (see `nearest`).
    let passRates = Mutex<[ItemKind: Double]>([:])
    /// Which of the given items pass a search filter, asked of the store that holds their rows; nil: the
    /// records' own metadata is fetched and checked instead (see `nearest`).
    let admitting: Admitting?

    /// Which of these items of a kind pass the filter (ids without a row are left out).
    package typealias Admitting = @Sendable (ItemKind, [ItemID], SearchFilter) async throws -> Set<ItemID>

    /// An index over URLSession; nothing is sent until the first call. With `admitting`, filtered searches
    /// check the filter there rather than on metadata fetched from ChromaDB.
    package convenience init(configuration: ChromaConfiguration, admitting: Admitting? = nil) {
        self.init(
            configuration: configuration, transport: URLSessionTransport(requestTimeout: configuration.requestTimeout),
            admitting: admitting)
    }

    /// An index over `transport` (tests replay canned responses through it).
    init(configuration: ChromaConfiguration, transport: any HTTPTransport, admitting: Admitting? = nil) {
        self.configuration = configuration
        self.client = ChromaHTTPClient(configuration: configuration, transport: transport)
        self.admitting = admitting
    }

    // MARK: Preparation

    /// Checks the server answers within `connectTimeout` (for `health` and `doctor`).
    ///
    /// - Throws: `ContextError.backendUnavailable` ("ChromaDB at 127.0.0.1:8000 is unreachable: connection
    ///   refused"), or `unsupported` when the server does not speak API v2.
    package func heartbeat() async throws {
        _ = try await client.get(["heartbeat"], as: ChromaAPI.Heartbeat.self, timeout: configuration.connectTimeout)
    }

    /// Makes the index ready: heartbeat, then the tenant, database and three collections are fetched or
    /// created (cosine space) and their UUIDs remembered. Idempotent, and safe when several processes
    /// prepare at once (a 409 from a concurrent create is taken as success).
    ///
    /// - Throws: `ContextError.conflict` when an existing collection uses another distance than cosine or
    ///   holds vectors of another dimension; `backendUnavailable` when the server cannot be reached.
    package func prepare() async throws {
        try await heartbeat()
        try await ensureExists(
            ["tenants", configuration.tenant], creatingWith: ["tenants"], name: configuration.tenant)
        try await ensureExists(
            client.databaseRoute, creatingWith: ["tenants", configuration.tenant, "databases"],
            name: configuration.database
        )
        for kind in ItemKind.allCases {
            let id = try await resolveCollection(kind)
            collectionIDs.withLock { $0[kind] = id }
        }
    }

    /// Deletes the three collections and every vector in them; the next use creates them again.
    package func dropCollections() async throws {
        for kind in ItemKind.allCases {
            collectionIDs.withLock { $0[kind] = nil }
            do {
                _ = try await client.send(
                    .delete, client.databaseRoute + ["collections", configuration.collectionName(for: kind)], body: nil)
            } catch let error as ContextError where error.code == .notFound {
                continue
            }
        }
    }

    /// GET `route`; when it is missing, POST `{"name"}` to `createRoute` (a 409 means someone else just did).
    private func ensureExists(_ route: [String], creatingWith createRoute: [String], name: String) async throws {
        do {
            _ = try await client.send(.get, route, body: nil)
        } catch let error as ContextError where error.code == .notFound {
            do {
                try await client.post(createRoute, ChromaAPI.CreateNamed(name: name))
            } catch let error as ContextError where error.code == .conflict {
                return
            }
        }
    }

    /// Gets or creates the collection of `kind` and checks it is usable; returns its UUID.
    private func resolveCollection(_ kind: ItemKind) async throws -> String {
        let name = configuration.collectionName(for: kind)
        let request = ChromaAPI.CreateCollection(
            name: name,
            configuration: ChromaAPI.CollectionConfiguration(hnsw: ChromaAPI.IndexConfiguration(space: "cosine")),
            metadata: nil,
            getOrCreate: true
        )
        let collection = try await client.post(
            client.databaseRoute + ["collections"], request, as: ChromaAPI.Collection.self)
        if let space = collection.configurationJSON?.space, space != "cosine" {
            throw ContextError(
                .conflict,
                "ChromaDB collection '\(name)' uses \(space) distance, memctx needs cosine: delete the collection "
                    + "or configure another collection name"
            )
        }
        if let dimension = collection.dimension, dimension != configuration.dimension {
            throw ContextError(
                .conflict,
                "ChromaDB collection '\(name)' holds \(dimension)-dimension vectors, memctx stores "
                    + "\(configuration.dimension): delete the collection or configure another collection name"
            )
        }
        return collection.id
    }

    // MARK: Collections for record routes

    /// Runs `body` with the UUID of the collection of `kind`, preparing first if needed; when the collection
    /// has disappeared (404, e.g. deleted by an operator), resolves it again and retries once.
    func withCollection<Result>(_ kind: ItemKind, _ body: (String) async throws -> Result) async throws -> Result {
        let id = try await collectionID(kind)
        do {
            return try await body(id)
        } catch let error as ContextError where error.code == .notFound {
            collectionIDs.withLock { ids in
                if ids[kind] == id { ids[kind] = nil }
            }
            return try await body(try await collectionID(kind))
        }
    }

    private func collectionID(_ kind: ItemKind) async throws -> String {
        if let id = collectionIDs.withLock({ $0[kind] }) { return id }
        try await prepare()
        guard let id = collectionIDs.withLock({ $0[kind] }) else {
            throw ContextError(.internalFailure, "the ChromaDB collection for \(kind.rawValue)s was not resolved")
        }
        return id
    }

    /// Refuses a vector Chroma would reject (another length) or cannot encode (NaN, infinity).
    func checkVector(_ vector: [Float]) throws {
        guard vector.count == configuration.dimension else {
            throw ContextError(
                .invalidInput,
                "a vector of \(vector.count) dimensions cannot go into the ChromaDB index, which holds "
                    + "\(configuration.dimension)",
                field: "vector"
            )
        }
        guard vector.allSatisfy(\.isFinite) else {
            throw ContextError(
                .invalidInput, "a vector for ChromaDB holds a value that is not a finite number", field: "vector")
        }
    }
}
