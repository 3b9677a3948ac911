package import Foundation

/// An item by kind and id.
package struct ItemReference: Sendable, Hashable {
    package var kind: ItemKind
    package var id: ItemID

    package init(kind: ItemKind, id: ItemID) {
        self.kind = kind
        self.id = id
    }
}

/// What a queued change asks of the central repository.
package enum OutboxOperation: String, Sendable, Hashable {
    /// Make the central copy of the item (row and vector) equal to the local one.
    case upsert
    /// Erase the session, its checkpoints and their vectors.
    case purge
}

/// A change waiting in the local outbox for the central repository.
package struct OutboxChange: Sendable, Hashable {
    /// Its place in the outbox (changes are pushed in this order).
    package var sequence: Int64
    package var item: ItemReference
    package var operation: OutboxOperation
    package var queuedAt: Date
    /// Failed pushes so far.
    package var attempts: Int
    /// For a pattern merged here: how much the merge added to its frequency.
    package var frequencyDelta: Int

    package init(
        sequence: Int64, item: ItemReference, operation: OutboxOperation, queuedAt: Date, attempts: Int, frequencyDelta: Int = 0
    ) {
        self.sequence = sequence
        self.item = item
        self.operation = operation
        self.queuedAt = queuedAt
        self.attempts = attempts
        self.frequencyDelta = frequencyDelta
    }
}

/// The outbox at a glance.
package struct OutboxSummary: Sendable, Hashable {
    package var pending: Int
    package var oldest: Date?
    package var lastError: String?

    package init(pending: Int, oldest: Date?, lastError: String?) {
        self.pending = pending
        self.oldest = oldest
        self.lastError = lastError
    }
}

/// How the services reach the central repository when memctx keeps a local copy (ContextSync): writes are
/// committed locally with a queued change, then pushed.
package protocol Replication: Sendable {
    /// Pushes the queued changes of these just-written items now if the central repository can be reached,
    /// and says where they are: `central` when it has them (rows and vectors), else `local` (the outbox keeps
    /// them for replay). Never throws and never waits long: an unreachable repository answers from the
    /// circuit breaker.
    func push(_ items: [ItemReference]) async -> StorageLocation
    /// Where reads go now: `central` when it is reachable and nothing this machine wrote is still waiting,
    /// else `local`.
    func readLocation() async -> StorageLocation
}

/// The local side of a synchronised repository (SQLite): the repository itself, plus its outbox of changes
/// not yet in the central repository.
package protocol LocalReplica: DocumentStore {
    /// Claims up to `limit` waiting changes, oldest first (only those of `items` when given), for `lease`;
    /// a claim that runs out makes the change available to others again. A change given back after a failed
    /// push waits for its retry time unless `now` (a forced sync, or a push right after a write).
    func claimChanges(owner: String, limit: Int, lease: Duration, items: [ItemReference]?, now: Bool) async throws
        -> [OutboxChange]
    /// Deletes changes the central repository has now.
    func completeChanges(_ sequences: [Int64], owner: String) async throws
    /// Gives back every claim of `owner` (a process shutting down).
    func releaseClaims(owner: String) async throws
    /// Gives changes back after a failed push, to be tried again after `retryAfter`. `counted`: the failure
    /// was the change's own and counts toward the attempts after which it is reported stuck (a service that
    /// could not be reached does not count).
    func releaseChanges(_ sequences: [Int64], owner: String, error: String, retryAfter: Duration, counted: Bool)
        async throws
    func outboxSummary() async throws -> OutboxSummary
    /// Whether a change waits (one that keeps failing for another reason than reachability does not count).
    func hasPendingChanges() async throws -> Bool
    /// What pushing `item` needs, read in one snapshot (see `PushSnapshot`); the vectors are those by `model`
    /// (none when nil), and a pattern's `otherDelta` counts the merges queued for it other than change `sequence`.
    func pushSnapshot(of item: ItemReference, change sequence: Int64, model: String?) async throws -> PushSnapshot
    /// This database's id among the central repository's replicas: made once, the same for every process.
    func replicaID() async throws -> String
    /// The stored vectors of these items by `model`, with their metadata.
    func embeddings(_ kind: ItemKind, ids: [ItemID], model: String) async throws -> [ItemEmbedding]
    /// Keeps vectors of cached items (read from the central vector index; no change queued).
    func cacheEmbeddings(_ embeddings: [ItemEmbedding]) async throws
    /// Keeps copies of items read from the central repository (no change queued; a newer local version or
    /// one waiting to be pushed is kept instead), forgetting the oldest copies beyond the cache's bound.
    func cache(_ items: [FoundItem]) async throws
}

/// One item as a push sends it, read from the local database at one instant: a merge or a write committed
/// meanwhile by another process is either wholly in it or wholly not.
package struct PushSnapshot: Sendable {
    /// The item as stored; nil when it is gone (erased since the change was queued).
    package var item: FoundItem?
    /// A checkpoint's session, created centrally with it when missing there.
    package var session: Session?
    /// For a pattern, the frequency that the merges still queued for it, other than this change, add to it.
    /// Each pushes its own share, earlier ones included (another process may push them after this one), so a
    /// push that creates the pattern centrally counts none of them.
    package var otherDelta = 0
    /// The item's privacy audit rows, oldest first.
    package var audits: [PrivacyAudit] = []
    /// The item's vectors by the model asked for.
    package var embeddings: [ItemEmbedding] = []

    package init(item: FoundItem?) { self.item = item }
}

/// The central side of a synchronised repository (PostgreSQL).
package protocol CentralReplica: DocumentStore {
    /// Applies a pattern change from a replica once (`changeKey` is remembered): the pattern's fields when
    /// they are newer than the stored ones, and `frequencyDelta` added to its frequency. A pattern the
    /// repository lacks is inserted with `frequency` as given (which counts no merge still queued but this
    /// one); if another replica's push inserts it meanwhile, this one adds `frequencyDelta` to that.
    func replicatePattern(_ pattern: Pattern, frequencyDelta: Int, changeKey: String) async throws
    /// Adds the privacy audit rows of a pushed item that it does not hold yet (the same item, kind, level,
    /// time and counts), so pushing twice writes them once.
    func saveAudits(_ audits: [PrivacyAudit]) async throws
}
