import ContextCore
import ContextSync
import ContextTesting
import Foundation
import Logging
import SQLiteStorage
import Testing

/// One machine's memctx: a local SQLite replica with its outbox, over a shared (fake) central repository.
private struct Replica {
    let local: SQLiteDocumentStore
    let replicator: Replicator
    let service: ContextService

    init(central: FakeCentral, vectors: FakeVectorIndex, lease: Duration = .seconds(60), local: SQLiteDocumentStore? = nil) throws {
        let local = try local ?? SQLiteDocumentStore(recordsChanges: true)
        var settings = Replicator.Settings()
        // Generous: these tests are about the rules, not the deadline, and a loaded CI machine is slow.
        settings.pushTimeout = .seconds(60)
        settings.readDrainTimeout = .seconds(60)
        settings.lease = lease
        let embedder = HashingEmbedder()
        let replicator = Replicator(
            local: local,
            central: Replicator.Central(
                store: central, vectors: vectors, prepare: {},
                probeDatabase: { _ = try await central.statistics(scope: .all) },
                probeVectors: { _ = try await vectors.count(.session) }
            ),
            modelID: embedder.modelID, settings: settings, logger: Logger(label: "test")
        )
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = "alpha"
        self.local = local
        self.replicator = replicator
        self.service = ContextService(
            store: SyncedDocumentStore(local: local, central: central, replicator: replicator),
            embedder: embedder, replication: replicator, remoteVectors: vectors, configuration: configuration)
    }

    func start() async throws { try await replicator.start(timeout: .seconds(60)) }

    var pending: Int { get async throws { try await local.outboxSummary().pending } }
}

@Suite("replication to the central repository")
struct ReplicationTests {
    let central = FakeCentral()
    let vectors = FakeVectorIndex()

    @Test func anOnlineWriteIsCentralAtOnce() async throws {
        let replica = try Replica(central: central, vectors: vectors)
        try await replica.start()
        var draft = CheckpointDraft(description: "deployed the API")
        draft.content = "blue-green switch done"
        let saved = try await replica.service.saveCheckpoint(draft)
        #expect(saved.stored == .central)
        #expect(try await central.store.checkpoint(id: saved.checkpoint.id, touch: nil) != nil)
        #expect(try await central.store.session(id: saved.checkpoint.sessionID, touch: nil) != nil)
        #expect(vectors.ids(.checkpoint) == [saved.checkpoint.id])
        #expect(vectors.ids(.session) == [saved.checkpoint.sessionID])
        // The privacy audit rows go with their items, once each.
        #expect(Set(central.audits.map(\.itemID)) == [saved.checkpoint.id, saved.checkpoint.sessionID])
        #expect(central.audits.count == 2)
        #expect(try await replica.pending == 0)
        #expect(await replica.service.readLocation() == .central)
    }

    @Test func offlineWritesStayLocalAndAreReplayedInOrder() async throws {
        let replica = try Replica(central: central, vectors: vectors)
        try await replica.start()
        central.isDown = true
        let session = try await replica.service.createSession(SessionDraft(title: "offline work")).session
        #expect(await replica.service.readLocation() == .local)
        // The breaker is open: the writes that follow do not call the central repository at all.
        let callsBefore = central.calls
        var ids: [ItemID] = []
        for index in 0..<5 {
            var draft = CheckpointDraft(description: "step \(index) of the migration")
            draft.sessionID = session.id
            let saved = try await replica.service.saveCheckpoint(draft)
            #expect(saved.stored == .local)
            ids.append(saved.checkpoint.id)
        }
        var changes = SessionChanges()
        changes.contextSummary = "five steps done"
        let updated = try await replica.service.updateSession(id: session.id, changes: changes, scope: .all)
        #expect(updated.stored == .local)
        #expect(central.calls == callsBefore)
        // Reads come from the local database, including what was just written.
        var request = SearchRequest(query: "migration step", kinds: [.checkpoint], scope: .only("alpha"), limit: 10)
        request.mode = .lexical
        let found = try await replica.service.search(request)
        #expect(Set(found.hits.map(\.item.id)) == Set(ids))
        // The session's changes (create, update) are one queued change: pushing sends its latest state.
        #expect(try await replica.pending == 6)

        central.isDown = false
        let report = await replica.replicator.sync()
        #expect(report.online && report.failed == 0 && report.pending == 0, "\(report)")
        #expect(report.pushed == 6)
        #expect(Set(try await central.store.checkpoints(ids: ids).map(\.id)) == Set(ids))
        #expect(try await central.store.session(id: session.id, touch: nil)?.contextSummary == "five steps done")
        #expect(vectors.ids(.checkpoint) == Set(ids))
        #expect(await replica.service.readLocation() == .central)
    }

    @Test func changesThatWaitForAnUnreachableServiceAreNeverTakenForStuck() async throws {
        let replica = try Replica(central: central, vectors: vectors)
        try await replica.start()
        // The server answers probes and reads but drops every write, many times over (a busy minute).
        central.dropsWrites = true
        let saved = try await replica.service.saveCheckpoint(CheckpointDraft(description: "written while the server drops writes"))
        #expect(saved.stored == .local)
        for _ in 0..<8 {
            let report = await replica.replicator.sync()
            #expect(report.pushed == 0)
        }
        // Still waiting, so reads stay on the local database, which holds it.
        #expect(try await replica.local.hasPendingChanges())
        #expect(await replica.service.readLocation() == .local)
        #expect(try await replica.service.statistics(scope: .all).checkpoints == 1)
        central.dropsWrites = false
        #expect(await replica.replicator.sync().pending == 0)
        #expect(try await central.store.checkpoint(id: saved.checkpoint.id, touch: nil) != nil)
        #expect(await replica.service.readLocation() == .central)
    }

    @Test func aCheckpointJoinsASessionMadeOnAnotherMachine() async throws {
        let first = try Replica(central: central, vectors: vectors)
        let second = try Replica(central: central, vectors: vectors)
        try await first.start()
        try await second.start()
        var draft = SessionDraft(title: "Shared investigation")
        draft.project = "beta"
        let session = try await first.service.createSession(draft).session
        var checkpoint = CheckpointDraft(description: "Second machine's finding")
        checkpoint.sessionID = session.id
        let saved = try await second.service.saveCheckpoint(checkpoint)
        #expect(!saved.sessionCreated)
        #expect(saved.checkpoint.project == "beta")
        #expect(saved.stored == .central)
        #expect(try await central.store.session(id: session.id, touch: nil)?.title == "Shared investigation")
    }

    @Test func aChangeIsDoneOnlyWhenTheVectorIndexHasItToo() async throws {
        let replica = try Replica(central: central, vectors: vectors)
        try await replica.start()
        vectors.isDown = true
        let saved = try await replica.service.saveCheckpoint(CheckpointDraft(description: "vector index away"))
        #expect(saved.stored == .local)
        // PostgreSQL has the session's row; the session's change waits for ChromaDB, and the checkpoint's
        // change after it, in order.
        #expect(try await central.store.session(id: saved.checkpoint.sessionID, touch: nil) != nil)
        #expect(try await replica.pending == 2)
        #expect(await replica.service.readLocation() == .local)
        vectors.isDown = false
        let report = await replica.replicator.sync()
        #expect(report.pending == 0 && report.failed == 0, "\(report)")
        #expect(vectors.ids(.checkpoint) == [saved.checkpoint.id])
        #expect(try await central.store.checkpoints(matching: CheckpointQuery(filter: ListFilter(scope: .all))).items.count == 1)
    }

    @Test func aCheckpointWhoseVectorCannotBeWrittenIsChargedToTheVectorIndex() async throws {
        let replica = try Replica(central: central, vectors: vectors)
        try await replica.start()
        let first = try await replica.service.saveCheckpoint(CheckpointDraft(description: "both services up"))
        #expect(first.stored == .central)
        // The checkpoint's push writes its vector inside the database call: ChromaDB's failure must not be
        // taken for PostgreSQL's.
        vectors.isDown = true
        var draft = CheckpointDraft(description: "vector index away")
        draft.sessionID = first.checkpoint.sessionID
        let saved = try await replica.service.saveCheckpoint(draft)
        #expect(saved.stored == .local)
        let reason = replica.replicator.offlineReason ?? "online"
        #expect(reason.hasPrefix("ChromaDB"), "\(reason)")
        vectors.isDown = false
        let report = await replica.replicator.sync()
        #expect(report.pending == 0 && report.failed == 0, "\(report)")
        #expect(vectors.ids(.checkpoint) == [first.checkpoint.id, saved.checkpoint.id])
    }

    @Test func patternMergesOnSeveralMachinesAddUp() async throws {
        let first = try Replica(central: central, vectors: vectors)
        let second = try Replica(central: central, vectors: vectors)
        try await first.start()
        try await second.start()
        var draft = PatternDraft(patternType: .workflow, name: "Release checklist")
        draft.template = "tag, build, publish release notes"
        let created = try await first.service.savePattern(draft)
        #expect(created.stored == .central && created.action == .created)
        // The second machine reads it from the central repository, which keeps a local copy.
        #expect(try await second.service.pattern(id: created.pattern.id, scope: .all).frequency == 1)

        central.isDown = true
        #expect(try await first.service.savePattern(draft).action == .merged)
        #expect(try await second.service.savePattern(draft).action == .merged)
        #expect(try await second.service.savePattern(draft).action == .merged)
        central.isDown = false
        #expect(await first.replicator.sync().pending == 0)
        #expect(await second.replicator.sync().pending == 0)
        #expect(try await central.store.pattern(id: created.pattern.id, touch: nil)?.frequency == 4)
    }

    @Test func aReplayAfterACrashCountsAMergeOnce() async throws {
        let file = NSTemporaryDirectory() + "memctx-sync-\(UUID().uuidString)/memctx.db"
        var configuration = SQLiteStorageConfiguration(path: file)
        configuration.recordsChanges = true
        let local = try SQLiteDocumentStore(configuration: configuration)
        let replica = try Replica(central: central, vectors: vectors, lease: .seconds(1), local: local)
        try await replica.start()
        var draft = PatternDraft(patternType: .code, name: "Retry with jitter")
        draft.template = "sleep(base * 2^n + random)"
        let pattern = try await replica.service.savePattern(draft).pattern
        central.isDown = true
        _ = try await replica.service.savePattern(draft)
        central.isDown = false
        // A process claims the merge, applies it centrally, and dies before it can forget it.
        let claimed = try await local.claimChanges(owner: "1-crashed", limit: 10, lease: .seconds(1), items: nil)
        #expect(claimed.count == 1 && claimed.first?.frequencyDelta == 1)
        let key = "\(try await local.replicaID()):\(claimed[0].sequence)"
        try await central.replicatePattern(
            try #require(try await local.patterns(ids: [pattern.id]).first), frequencyDelta: 1, changeKey: key)
        #expect(try await central.store.pattern(id: pattern.id, touch: nil)?.frequency == 2)
        try await Task.sleep(for: .milliseconds(1100))
        // Another process replays it after the claim ran out: applied once, not twice.
        let report = await replica.replicator.sync()
        #expect(report.pushed == 1 && report.pending == 0, "\(report)")
        #expect(try await central.store.pattern(id: pattern.id, touch: nil)?.frequency == 2)
    }

    @Test func mergesPushedInAnyOrderAddUp() async throws {
        let local = try SQLiteDocumentStore(recordsChanges: true)
        let replica = try Replica(central: central, vectors: vectors, local: local)
        try await replica.start()
        central.isDown = true
        var draft = PatternDraft(patternType: .code, name: "Paginate with keyset cursors")
        draft.template = "WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC"
        let pattern = try await replica.service.savePattern(draft).pattern
        #expect(try await replica.service.savePattern(draft).action == .merged)
        #expect(try await replica.service.savePattern(draft).action == .merged)
        central.isDown = false
        // Another process sharing the database holds the creation and the first merge (pid 1 never ends), so
        // the second merge is pushed first and creates the pattern centrally.
        let held = try await local.claimChanges(owner: "1-elsewhere", limit: 2, lease: .seconds(600), items: nil)
        #expect(held.map(\.frequencyDelta) == [0, 1])
        var report = await replica.replicator.sync()
        #expect(report.pushed == 1 && report.pending == 2, "\(report)")
        #expect(try await central.store.pattern(id: pattern.id, touch: nil)?.frequency == 2)
        // Then the other process pushes what it held: each adds its own share, once.
        try await local.releaseClaims(owner: "1-elsewhere")
        report = await replica.replicator.sync()
        #expect(report.pushed == 2 && report.pending == 0, "\(report)")
        #expect(try await central.store.pattern(id: pattern.id, touch: nil)?.frequency == 3)
    }

    @Test func aPurgeWinsOverChangesQueuedAnywhere() async throws {
        let first = try Replica(central: central, vectors: vectors)
        let second = try Replica(central: central, vectors: vectors)
        try await first.start()
        try await second.start()
        let saved = try await first.service.saveCheckpoint(CheckpointDraft(description: "customer call notes"))
        let session = saved.checkpoint.sessionID
        // The second machine knows the session and adds to it while offline.
        _ = try await second.service.session(id: session, scope: .all)
        central.isDown = true
        var late = CheckpointDraft(description: "follow-up on the call")
        late.sessionID = session
        #expect(try await second.service.saveCheckpoint(late).stored == .local)
        var more = CheckpointDraft(description: "more notes")
        more.sessionID = session
        _ = try await first.service.saveCheckpoint(more)
        try await first.service.deleteSession(id: session, purge: true, scope: .all)
        #expect(try await first.pending == 1)
        central.isDown = false
        #expect(await first.replicator.sync().pending == 0)
        #expect(try await central.store.session(id: session, touch: nil) == nil)
        #expect(try await central.store.checkpoint(id: saved.checkpoint.id, touch: nil) == nil)
        #expect(vectors.ids(.checkpoint).isEmpty && vectors.ids(.session).isEmpty)
        // The other machine's queued checkpoint does not bring the session back; its outbox empties.
        let report = await second.replicator.sync()
        #expect(report.pending == 0, "\(report)")
        #expect(try await central.store.checkpoints(matching: CheckpointQuery(filter: ListFilter(scope: .all))).items.isEmpty)
        #expect(try await central.store.session(id: session, touch: nil) == nil)
    }

    @Test func aPurgeAlsoErasesCheckpointVectorsNoRowLists() async throws {
        let replica = try Replica(central: central, vectors: vectors)
        try await replica.start()
        let saved = try await replica.service.saveCheckpoint(CheckpointDraft(description: "customer call notes"))
        let session = saved.checkpoint.sessionID
        // What a save into the session leaves when it commits while the purge waits for it: a vector that the
        // list of the session's checkpoints, taken before, did not name.
        var generator = SystemRandomNumberGenerator()
        let unlisted = ItemEmbedding(
            kind: .checkpoint, id: ItemID.make(at: Date(), using: &generator), model: HashingEmbedder().modelID,
            vector: HashingEmbedder().vector("committed meanwhile"), createdAt: Date(), project: "alpha",
            patternType: nil, sessionID: session, privacyLevel: .team)
        let otherSession = ItemEmbedding(
            kind: .checkpoint, id: ItemID.make(at: Date(), using: &generator), model: HashingEmbedder().modelID,
            vector: HashingEmbedder().vector("another session"), createdAt: Date(), project: "alpha",
            patternType: nil, sessionID: ItemID.make(at: Date(), using: &generator), privacyLevel: .team)
        try await vectors.upsert([unlisted, otherSession])
        try await replica.service.deleteSession(id: session, purge: true, scope: .all)
        #expect(await replica.replicator.sync().pending == 0)
        #expect(vectors.ids(.checkpoint) == [otherSession.id])
        #expect(vectors.ids(.session).isEmpty)
    }

    @Test func sessionUpdatesAreLastWriterWins() async throws {
        let first = try Replica(central: central, vectors: vectors)
        let second = try Replica(central: central, vectors: vectors)
        try await first.start()
        try await second.start()
        let session = try await first.service.createSession(SessionDraft(title: "shared")).session
        _ = try await second.service.session(id: session.id, scope: .all)
        central.isDown = true
        var older = SessionChanges()
        older.contextSummary = "from the first machine"
        _ = try await first.service.updateSession(id: session.id, changes: older, scope: .all)
        try await Task.sleep(for: .milliseconds(5))
        var newer = SessionChanges()
        newer.contextSummary = "from the second machine, later"
        _ = try await second.service.updateSession(id: session.id, changes: newer, scope: .all)
        central.isDown = false
        // The later edit wins whichever machine syncs last.
        _ = await second.replicator.sync()
        _ = await first.replicator.sync()
        #expect(try await central.store.session(id: session.id, touch: nil)?.contextSummary == "from the second machine, later")
    }
}
