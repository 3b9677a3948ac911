package import Foundation

/// Settings of the context services.
package struct ContextServiceConfiguration: Sendable {
    /// The project of items saved without one (from `MEMCTX_PROJECT`, else the git repository's name, else
    /// `default`; resolved by ContextCLI).
    package var defaultProject = "default"
    /// The privacy level of items saved without one.
    package var defaultPrivacyLevel = PrivacyLevel.team
    /// `savePattern` merges into a pattern of the same type and project at this similarity or more, when the
    /// similarity is the Jaccard index of their words (no embedding model).
    package var mergeThreshold = 0.7
    /// The same when the similarity is the cosine of their embeddings. Higher than the Jaccard threshold:
    /// on our retrieval set distinct patterns of one type reach a cosine of 0.70, while rewordings of one
    /// pattern score 0.55–0.96 (docs/search.md, Pattern merging); a wrong merge folds a different pattern
    /// away, a missed one only leaves a near-duplicate.
    package var semanticMergeThreshold = 0.8
    /// Where the store keeps what it is given: `local` (SQLite) or `central` (PostgreSQL + ChromaDB). Writes
    /// report it as `stored`, reads as `source`.
    package var location = StorageLocation.local
    /// Whether the embedding model is there (semantic and hybrid search need it); set by `ContextService`
    /// from the embedder it is given.
    package var isSemanticSearchAvailable = false
    /// Hybrid search: how much the lexical signal weighs in the fused score (the rest is the semantic one).
    /// Chosen by measurement on the labelled retrieval set (docs/search.md).
    package var lexicalWeight = 0.3

    package init() {}
}

/// Where a write went: `local` (the embedded database), or `none` for `ephemeral` items, never stored.
package enum StorageLocation: String, Sendable, Hashable, Codable {
    case central, local, none
}

/// The domain services behind every context method: validation, privacy redaction, pattern merging,
/// search and context loading over a `DocumentStore`.
package struct ContextService: Sendable {
    package let store: any DocumentStore
    /// Semantic search and item embeddings; nil without the embedding model (search is then lexical).
    package let semantic: SemanticIndex?
    /// The central repository behind a local copy (ContextSync), or nil: `store` is the whole repository.
    package let replication: (any Replication)?
    package let configuration: ContextServiceConfiguration
    package let redactor = Redactor()
    private let now: @Sendable () -> Date

    package init(
        store: any DocumentStore,
        embedder: (any Embedder)? = nil,
        vectorIndex: (any VectorIndex)? = nil,
        replication: (any Replication)? = nil,
        remoteVectors: (any VectorIndex)? = nil,
        configuration: ContextServiceConfiguration = ContextServiceConfiguration(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.replication = replication
        self.semantic = embedder.map {
            SemanticIndex(
                embedder: $0, store: store, central: vectorIndex,
                remote: remoteVectors.map { remote in (remote, { await replication?.readLocation() == .central }) })
        }
        var configuration = configuration
        configuration.isSemanticSearchAvailable = embedder != nil
        self.configuration = configuration
        self.now = now
    }

    /// The current time, truncated to milliseconds (the precision every store keeps).
    package func currentDate() -> Date {
        Date(timeIntervalSince1970: (now().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    package func makeID(at date: Date) -> ItemID {
        var generator = SystemRandomNumberGenerator()
        return ItemID.make(at: date, using: &generator)
    }

    /// The project of a write: the one named, else the default.
    package func project(for requested: String?) throws(ContextError) -> String {
        guard let requested else { return configuration.defaultProject }
        if requested == "*" { throw .invalid("project", "must name one project when saving ('*' is for reads)") }
        return try Validate.project(requested)
    }

    /// The scope of a read: the one named, `*` for all, else the default project.
    package func scope(for requested: String?) throws(ContextError) -> ProjectScope {
        guard let requested else { return .only(configuration.defaultProject) }
        if requested == "*" { return .all }
        return .only(try Validate.project(requested))
    }

    /// Redacts `text` at `level`, adding what was found to `findings`.
    func redact(_ text: String?, level: PrivacyLevel, into findings: inout [String: Int]) -> String? {
        guard let text, level != .ephemeral else { return text }
        let result = redactor.redact(text, level: level)
        for (kind, count) in result.findings { findings[kind, default: 0] += count }
        return result.text
    }

    func audit(_ kind: ItemKind, _ id: ItemID, level: PrivacyLevel, findings: [String: Int], at date: Date)
        -> PrivacyAudit
    {
        PrivacyAudit(itemKind: kind, itemID: id, level: level, detected: findings, redacted: findings, createdAt: date)
    }

    /// Validates a JSON text field (must parse; size-limited).
    func json(_ text: String?, field: String, requireObject: Bool = false) throws(ContextError) -> String? {
        guard let text else { return nil }
        _ = try Validate.bytes(text, field: field, maximum: Limits.json)
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
            throw .invalid(field, "must be valid JSON")
        }
        if requireObject, !(object is [String: Any]) { throw .invalid(field, "must be a JSON object") }
        return text
    }

    /// Embeds saved items and stores their vectors. Locally a failure leaves the items saved without a vector
    /// (lexical search still finds them; `memctx reindex` embeds them later), so it does not fail the write.
    /// Centrally it does fail the call, saying what is missing: the rows are in PostgreSQL, the vector is not
    /// in ChromaDB.
    func index(_ items: [FoundItem], at date: Date) async throws(ContextError) {
        guard let semantic, !items.isEmpty else { return }
        do {
            try await semantic.index(items, at: date)
        } catch {
            // A vector of the item's earlier text must not stay behind as if it were current.
            for kind in ItemKind.allCases {
                let ids = items.filter { $0.kind == kind }.map(\.id)
                try? await semantic.forget(kind, ids: ids)
            }
            try vectorFailure(error, semantic: semantic)
        }
    }

    /// Counts a failed vector write locally; centrally, the error the call fails with.
    func vectorFailure(_ error: any Error, semantic: SemanticIndex) throws(ContextError) {
        guard semantic.central != nil else {
            semantic.noteFailure()
            return
        }
        throw vectorWriteError(VectorWriteFailure(underlying: error, rowsSaved: true))
    }

    /// The error a central write fails with when its vector could not be written: what was saved, and why.
    func vectorWriteError(_ failure: VectorWriteFailure) -> ContextError {
        guard failure.rowsSaved else {
            let cause = VectorWriteFailure.message(of: failure.underlying)
            return ContextError(.backendUnavailable, "nothing was saved: the vector index failed: \(cause)", underlying: failure.underlying)
        }
        // Locally stored rows whose vector did not follow: the embedding model or the index failed.
        let cause = (failure.underlying as? ContextError)?.message ?? "the embedding model failed"
        return ContextError(
            .backendUnavailable,
            "saved in the central database, but its vector is not in the vector index: \(cause); semantic search will miss it until `memctx reindex`",
            underlying: failure.underlying
        )
    }

    /// Centrally, the vectors of items about to be written, computed now so the store writes them with the
    /// rows; nil when vectors are kept locally (written after the rows, see `index`).
    func centralVectors(for items: [FoundItem], at date: Date) async throws(ContextError) -> VectorWrite? {
        guard let semantic, semantic.central != nil else { return nil }
        do {
            return try await semantic.centralWrite(of: items, at: date)
        } catch {
            let cause = VectorWriteFailure.message(of: error)
            throw ContextError(.backendUnavailable, "nothing was saved: its vector could not be computed: \(cause)", underlying: error)
        }
    }

    /// Where just-written items are: pushed to the central repository first when memctx keeps a local copy.
    func stored(_ items: [ItemReference]) async -> StorageLocation {
        guard let replication else { return configuration.location }
        return await replication.push(items)
    }

    /// Where reads are answered from now (reported as `source`).
    package func readLocation() async -> StorageLocation {
        await replication?.readLocation() ?? configuration.location
    }

    /// Wraps a store call so that unexpected errors become `backendUnavailable` with context.
    func storage<T>(_ operation: String, _ body: () async throws -> T) async throws(ContextError) -> T {
        do {
            return try await body()
        } catch let error as ContextError {
            throw error
        } catch {
            throw ContextError(.backendUnavailable, "the local database failed while \(operation)", underlying: error)
        }
    }
}
