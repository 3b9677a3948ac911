package import ContextCore
package import Foundation
package import Logging
import Synchronization

/// Pushes the local outbox to the central repository: at once after each write when the central repository
/// is reachable, and in the background (with backoff) when it comes back. DESIGN.md §6, docs/sync.md.
///
/// A change is done (deleted from the outbox) only when PostgreSQL has the row and ChromaDB the vector. Each
/// push is idempotent (upserts by id; checkpoints insert-once; pattern merges keyed by replica and change),
/// so a change pushed twice — after a crash, an expired claim, or by two processes — changes nothing more.
package final class Replicator: Replication {
    package struct Settings: Sendable {
        /// How long a write waits for its push before answering `stored: "local"` (the push goes on).
        package var pushTimeout: Duration = .seconds(2)
        /// How long a probe of an unreachable service may take.
        package var probeTimeout: Duration = .seconds(2)
        /// How long a claim on outbox rows lasts (another process may take them after).
        package var lease: Duration = .seconds(60)
        package var batchSize = 100
        /// How often the background task looks for work when nothing wakes it.
        package var idleInterval: Duration = .seconds(2)
        /// How long a read waits for this machine's waiting changes to be pushed before it reads locally.
        package var readDrainTimeout: Duration = .milliseconds(500)

        package init() {}
    }

    /// The central services, as closures over the concrete backends (built by the composition root).
    package struct Central: Sendable {
        package var store: any CentralReplica
        package var vectors: any VectorIndex
        /// Creates the schema and collections if needed (idempotent); run before the first push.
        package var prepare: @Sendable () async throws -> Void
        /// A cheap request proving PostgreSQL answers.
        package var probeDatabase: @Sendable () async throws -> Void
        /// A cheap request proving ChromaDB answers.
        package var probeVectors: @Sendable () async throws -> Void

        package init(
            store: any CentralReplica, vectors: any VectorIndex, prepare: @escaping @Sendable () async throws -> Void,
            probeDatabase: @escaping @Sendable () async throws -> Void, probeVectors: @escaping @Sendable () async throws -> Void
        ) {
            self.store = store
            self.vectors = vectors
            self.prepare = prepare
            self.probeDatabase = probeDatabase
            self.probeVectors = probeVectors
        }
    }

    /// What a sync did.
    package struct Report: Sendable, Hashable {
        package var pushed = 0
        package var failed = 0
        package var pending = 0
        package var online = false
        package var error: String?
    }

    /// Counters since start-up and the last successful sync (for `health` and `stats`).
    package struct Counters: Sendable, Hashable {
        package var pushed = 0
        package var failed = 0
        package var lastSync: Date?
    }

    package let database: CircuitBreaker
    package let vectorService: CircuitBreaker
    private let local: any LocalReplica
    private let central: Central
    private let modelID: String?
    private let settings: Settings
    private let logger: Logger
    /// This process's name on its claims.
    private let owner = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    private let state = Mutex(State())
    /// One drain of the whole outbox at a time in this process (the background task's, `sync`'s, a read's):
    /// a second one would find every row claimed by the first and report nothing pushed.
    private let drainGate = DrainGate()
    private let wakeUp: AsyncStream<Void>.Continuation
    private let wakeUps: AsyncStream<Void>

    private struct State {
        var prepared = false
        var replicaID: String?
        var counters = Counters()
        var prepareError: String?
        /// The preparation under way (migrations may take a while on a busy server; they are not cut short).
        var preparing: Task<Void, any Error>?
    }

    package init(local: any LocalReplica, central: Central, modelID: String?, settings: Settings = Settings(), logger: Logger) {
        self.local = local
        self.central = central
        self.modelID = modelID
        self.settings = settings
        self.logger = logger
        database = CircuitBreaker(name: "PostgreSQL", logger: logger)
        vectorService = CircuitBreaker(name: "ChromaDB", logger: logger)
        (wakeUps, wakeUp) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Both services reachable and the schema ready.
    package var isOnline: Bool {
        state.withLock { $0.prepared } && database.isClosed && vectorService.isClosed
    }

    package var counters: Counters { state.withLock { $0.counters } }

    /// Why the central repository is not in use, when it is not.
    package var offlineReason: String? {
        if let error = database.lastError { return "PostgreSQL: \(error)" }
        if let error = vectorService.lastError { return "ChromaDB: \(error)" }
        return state.withLock { $0.prepared ? nil : ($0.prepareError ?? "not contacted yet") }
    }

    /// At start-up: prepares the central repository, waiting at most `timeout`. A configuration problem
    /// (wrong password, missing extension, refused token, an API memctx cannot use) is thrown: waiting will
    /// not fix it. An unreachable or slow repository is not: memctx starts on the local database and the
    /// background task keeps trying.
    package func start(timeout: Duration) async throws {
        // Reachability first, within the deadline: a refused or hung server means starting offline.
        for (breaker, probe) in [(database, central.probeDatabase), (vectorService, central.probeVectors)] {
            do {
                try await withDeadline(timeout, what: breaker.name, probe)
            } catch let error as ContextError where error.code == .backendUnavailable && !error.needsConfiguration {
                state.withLock { $0.prepareError = error.message }
                breaker.failed(error.message)
                return
            }
        }
        // Both answer: migrations and collections, waited for up to the deadline and then finished in the
        // background (until they are, memctx works offline).
        do {
            try await prepare(waiting: timeout)
        } catch let error as ContextError where error.code == .backendUnavailable && !error.needsConfiguration {
            (error.message.hasPrefix("ChromaDB") ? vectorService : database).failed(error.message)
        }
    }

    /// Runs the central repository's preparation once (joining one under way) and waits for it up to
    /// `timeout`; returns early, without error, if it is still running then. Its error is thrown.
    private func prepare(waiting timeout: Duration) async throws {
        let task: Task<Void, any Error>? = state.withLock { state in
            if state.prepared { return nil }
            if let preparing = state.preparing { return preparing }
            let central = central
            let preparing = Task { [weak self] in
                do {
                    try await central.prepare()
                    self?.state.withLock {
                        $0.prepared = true
                        $0.prepareError = nil
                        $0.preparing = nil
                    }
                } catch {
                    self?.state.withLock {
                        $0.prepareError = Self.message(error)
                        $0.preparing = nil
                    }
                    throw error
                }
            }
            state.preparing = preparing
            return preparing
        }
        guard let task else { return }
        do {
            try await withDeadline(timeout, what: "preparing the central repository") { try await task.value }
        } catch {
            // Still running: not an error of the repository.
            if state.withLock({ $0.preparing != nil && !$0.prepared }) { return }
            throw error
        }
    }

    /// Keeps local copies of the vectors of items read from the central repository that lack one here, so
    /// they stay searchable by meaning (and mergeable) offline.
    package func cacheVectors(of items: [FoundItem]) async {
        guard let modelID, !items.isEmpty, vectorService.isClosed else { return }
        let vectors = central.vectors
        for kind in ItemKind.allCases {
            let ids = items.filter { $0.kind == kind }.map(\.id)
            guard !ids.isEmpty,
                let held = try? await local.embeddings(kind, ids: ids, model: modelID).map(\.id)
            else { continue }
            let missing = Array(Set(ids).subtracting(held))
            guard !missing.isEmpty, let found = try? await call(vectorService, { try await vectors.vectors(kind, ids: missing) })
            else { continue }
            let date = Date()
            let embeddings = found.map { id, vector in
                ItemEmbedding(kind: kind, id: id, model: modelID, vector: vector, createdAt: date, project: "")
            }
            try? await local.cacheEmbeddings(embeddings)
        }
    }

    /// Gives back this process's claims (at shutdown): other processes need not wait for the leases.
    package func shutdown() async {
        try? await local.releaseClaims(owner: owner)
    }

    // MARK: Replication

    package func push(_ items: [ItemReference]) async -> StorageLocation {
        guard isOnline, !items.isEmpty else {
            wakeUp.yield()
            return .local
        }
        do {
            let report = try await withDeadline(settings.pushTimeout, what: "the central repository") {
                try await self.replicate(items: items)
            }
            return report.failed == 0 && report.pending == 0 ? .central : .local
        } catch {
            note(error, service: database)
            return .local
        }
    }

    package func readLocation() async -> StorageLocation {
        guard isOnline else { return .local }
        if (try? await local.hasPendingChanges()) == false { return .central }
        // Something written here is not central yet: push it now (briefly), so the read can be central.
        _ = try? await withDeadline(settings.readDrainTimeout, what: "the central repository") {
            try await self.replicate(items: nil)
        }
        // Until everything written here is central, the local database is the one that holds it all.
        guard isOnline, (try? await local.hasPendingChanges()) == false else { return .local }
        return .central
    }

    /// Runs `operation` on a central service now, through its breaker, for at most the push timeout.
    /// Throws when the service is known to be unreachable or turns out to be.
    package func call<Value: Sendable>(
        _ service: CircuitBreaker,
        timeout: Duration? = nil,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        guard service.isClosed else {
            throw ContextError(.backendUnavailable, "\(service.name) cannot be reached: \(service.lastError ?? "offline")")
        }
        do {
            let value = try await withDeadline(timeout ?? settings.pushTimeout, what: service.name, operation)
            service.succeeded()
            return value
        } catch {
            note(error, service: service)
            throw error
        }
    }

    // MARK: Replay

    /// Pushes everything waiting (all processes' changes on this database), until the outbox is empty or a
    /// service fails. Probes unreachable services first, so `memctx sync` works right after they return.
    package func sync(progress: (@Sendable (Report) -> Void)? = nil) async -> Report {
        await probe(force: true)
        var total = Report()
        while isOnline {
            do {
                let report = try await replicate(items: nil)
                total.pushed += report.pushed
                total.failed += report.failed
                progress?(total)
                if report.pushed == 0 { break }
            } catch {
                total.error = (error as? ContextError)?.message ?? "\(error)"
                break
            }
        }
        total.online = isOnline
        total.pending = (try? await local.outboxSummary().pending) ?? 0
        if total.error == nil, !total.online { total.error = offlineReason }
        return total
    }

    /// The background task: replays the outbox whenever there is something to push and the central repository
    /// can be reached, probing it with backoff while it cannot. Runs until cancelled.
    package func run() async {
        while !Task.isCancelled {
            await probe(force: false)
            if isOnline, (try? await local.hasPendingChanges()) == true {
                _ = try? await replicate(items: nil, now: false)
            }
            await waitForWork()
        }
    }

    private func waitForWork() async {
        let interval = settings.idleInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: interval) }
            group.addTask { [wakeUps] in
                for await _ in wakeUps { break }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Prepares the central repository once, and probes each open breaker whose delay has passed (or every
    /// open one when `force`).
    private func probe(force: Bool) async {
        let timeout = settings.probeTimeout
        if !state.withLock({ $0.prepared }) {
            let due = [database, vectorService].allSatisfy { $0.isClosed || $0.isDueForProbe }
            guard force || due else { return }
            do {
                try await withDeadline(timeout, what: "PostgreSQL", central.probeDatabase)
                try await prepare(waiting: force ? .seconds(120) : timeout)
                guard state.withLock({ $0.prepared }) else { return }
                database.succeeded()
                vectorService.succeeded()
                logger.info("central repository ready")
            } catch {
                let message = Self.message(error)
                state.withLock { $0.prepareError = message }
                (message.hasPrefix("ChromaDB") ? vectorService : database).failed(message)
                return
            }
        }
        for (breaker, probe) in [(database, central.probeDatabase), (vectorService, central.probeVectors)] {
            guard !breaker.isClosed, force || breaker.isDueForProbe else { continue }
            do {
                try await withDeadline(timeout, what: breaker.name, probe)
                breaker.succeeded()
            } catch {
                breaker.failed(Self.message(error))
            }
        }
    }

    /// Claims a batch (of `items`' changes, or the oldest) and pushes it in order. A change that fails is
    /// given back with a delay; a service that cannot be reached stops the batch.
    private func replicate(items: [ItemReference]?, now: Bool = true) async throws -> Report {
        guard items == nil else { return try await replicateBatch(items: items, now: now) }
        await drainGate.acquire()
        do {
            let report = try await replicateBatch(items: nil, now: now)
            await drainGate.release()
            return report
        } catch {
            await drainGate.release()
            throw error
        }
    }

    private func replicateBatch(items: [ItemReference]?, now: Bool) async throws -> Report {
        let changes = try await local.claimChanges(
            owner: owner, limit: settings.batchSize, lease: settings.lease, items: items, now: now)
        var report = Report()
        var done: [Int64] = []
        // Changes that failed for a reason of their own (counted toward `stuck`), and changes that waited for a
        // service that could not be reached (a server down, a deadline, a lost connection: not counted, or a
        // busy minute would mark good changes stuck and let reads go to a central repository that lacks them).
        var refused: (sequences: [Int64], error: String?) = ([], nil)
        var waiting: (sequences: [Int64], error: String?) = ([], nil)
        var index = 0
        while index < changes.count {
            let change = changes[index]
            do {
                try await apply(change)
                done.append(change.sequence)
            } catch {
                let message = Self.message(error)
                if Self.isUnreachable(error) {
                    waiting.sequences.append(change.sequence)
                    waiting.error = message
                } else {
                    refused.sequences.append(change.sequence)
                    refused.error = message
                }
                if !isOnline {
                    // Everything after it waits too, in order.
                    waiting.sequences += changes[(index + 1)...].map(\.sequence)
                    waiting.error = waiting.error ?? message
                    break
                }
                logger.warning("a change could not be pushed", metadata: ["kind": "\(change.item.kind.rawValue)", "error": "\(message)"])
            }
            index += 1
        }
        try await local.completeChanges(done, owner: owner)
        for (group, counted) in [(refused, true), (waiting, false)] {
            guard let error = group.error, !group.sequences.isEmpty else { continue }
            try await local.releaseChanges(group.sequences, owner: owner, error: error, retryAfter: .seconds(1), counted: counted)
        }
        let failed = refused.sequences + waiting.sequences
        report.pushed = done.count
        report.failed = failed.count
        state.withLock { state in
            state.counters.pushed += done.count
            state.counters.failed += failed.count
            if !done.isEmpty, failed.isEmpty { state.counters.lastSync = Date() }
        }
        if let items, failed.isEmpty {
            // Changes of these items claimed by another process (or queued again meanwhile) are not central yet.
            let claimedAll = Set(changes.map(\.item)).isSuperset(of: items)
            report.pending = claimedAll ? 0 : 1
        }
        return report
    }

    /// Makes the central repository hold the local state of one item (or erases it).
    private func apply(_ change: OutboxChange) async throws {
        let id = change.item.id
        let store = central.store
        let vectors = central.vectors
        switch (change.item.kind, change.operation) {
        case (.session, .purge):
            // Vectors first, then rows with a tombstone: a later change from elsewhere cannot bring it back.
            try await call(vectorService) { try await vectors.removeVectors(ofSession: id) }
            _ = try await call(database) { try await store.purgeSession(id: id) }
            // The purge waited for saves into (or of) the session that were under way; their rows went with it,
            // but their vectors came after the first sweep. They go now (and on a retry).
            try await call(vectorService) { try await vectors.removeVectors(ofSession: id) }
        case (_, .purge):
            break
        case (_, .upsert):
            let snapshot = try await local.pushSnapshot(of: change.item, change: change.sequence, model: modelID)
            switch snapshot.item {
            case nil:
                return  // gone here since it was queued (erased): nothing to push
            case .session(let session)?:
                try await pushItem(snapshot) {
                    try await self.call(self.database) { try await store.saveSession(session, audit: nil) }
                    return .written
                }
            case .checkpoint(let checkpoint)?:
                let vectors = vectorWrite(snapshot.embeddings)
                try await pushItem(snapshot) {
                    do {
                        // A new checkpoint's audit rows and vector go with its transaction (which commits once
                        // the vector is in ChromaDB). The vector write has a deadline of its own, within this
                        // one, so a ChromaDB that does not answer is charged to ChromaDB.
                        let outcome = try await self.call(self.database, timeout: self.settings.pushTimeout * 2) {
                            try await store.saveCheckpoint(
                                checkpoint, creating: snapshot.session, audits: snapshot.audits, rule: .none, vectors: vectors)
                        }
                        if case .inserted = outcome { return .complete }
                        return .written
                    } catch let error as ContextError where error.code == .notFound {
                        return .refused  // its session was erased centrally: the purge wins
                    }
                }
            case .pattern(var pattern)?:
                // The other merges still queued add their own share when they are pushed (earlier ones too:
                // another process may have claimed them and push them after this one). What is left is what
                // the central repository has of the pattern's frequency once this change is in, should this
                // push be the one that creates it there.
                pattern.frequency = max(1, pattern.frequency - snapshot.otherDelta)
                let key = "\(try await replicaID()):\(change.sequence)"
                let toSend = pattern
                try await pushItem(snapshot) {
                    try await self.call(self.database) {
                        try await store.replicatePattern(toSend, frequencyDelta: change.frequencyDelta, changeKey: key)
                    }
                    return .written
                }
            }
        }
    }

    /// What writing an item's row centrally did.
    private enum RowPush {
        /// Refused: its session was erased centrally.
        case refused
        case written
        /// Written with its audit rows and its vector.
        case complete
    }

    /// Writes the item's row (`row`), then, unless `row` wrote them too, its audit rows (the central repository
    /// keeps the ones it lacks) to PostgreSQL and its local vector (if any) to ChromaDB with the vector's record
    /// in `embedding_status`.
    private func pushItem(_ snapshot: PushSnapshot, row: @escaping @Sendable () async throws -> RowPush) async throws {
        guard try await row() == .written else { return }
        let store = central.store
        if !snapshot.audits.isEmpty {
            let audits = snapshot.audits
            try await call(database) { try await store.saveAudits(audits) }
        }
        let embeddings = snapshot.embeddings
        guard !embeddings.isEmpty else { return }
        let vectors = central.vectors
        try await call(vectorService) { try await vectors.upsert(embeddings) }
        try await call(database) { try await store.saveEmbeddings(embeddings) }
    }

    /// Writes vectors in ChromaDB through the vector service's breaker and deadline. Taking them out again
    /// (their rows were not committed) is tried even when the breaker has just opened, with the same deadline.
    private func vectorWrite(_ embeddings: [ItemEmbedding]) -> VectorWrite {
        let plain = VectorWrite(embeddings, to: central.vectors)
        let timeout = settings.pushTimeout
        let name = vectorService.name
        return VectorWrite(
            embeddings: embeddings,
            upsert: { batch in try await self.call(self.vectorService) { try await plain.upsert(batch) } },
            remove: { batch in try await withDeadline(timeout, what: name) { try await plain.remove(batch) } })
    }

    private func replicaID() async throws -> String {
        if let id = state.withLock({ $0.replicaID }) { return id }
        let id = try await local.replicaID()
        state.withLock { $0.replicaID = id }
        return id
    }

    /// Counts an error against the service's breaker when it says the service cannot be reached.
    private func note(_ error: any Error, service: CircuitBreaker) {
        // A vector write failing inside a database call was counted by the vector service's own call.
        if error is VectorWriteFailure { return }
        logger.debug(
            "a central call failed",
            metadata: [
                "service": "\(service.name)", "error": "\(error)",
                "cause": "\((error as? ContextError)?.underlying.map { String(reflecting: $0) } ?? "")",
            ])
        guard let error = error as? ContextError, error.code == .backendUnavailable else { return }
        service.failed(error.message)
    }

    /// Whether the error says a service could not be reached (or answer in time), rather than refusing the
    /// change itself.
    static func isUnreachable(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        if let failure = error as? VectorWriteFailure { return isUnreachable(failure.underlying) }
        return (error as? ContextError)?.code == .backendUnavailable
    }

    static func message(_ error: any Error) -> String {
        VectorWriteFailure.message(of: error)
    }
}

/// An asynchronous mutex: waiters are resumed one at a time, in order.
actor DrainGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
