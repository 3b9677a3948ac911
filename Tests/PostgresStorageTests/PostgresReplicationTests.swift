import ContextCore
import Foundation
import Testing

@testable import PostgresStorage

/// The rules the central repository applies to changes replayed from local replicas (docs/sync.md).
@Suite("PostgreSQL replication rules", .postgresServer)
struct PostgresReplicationTests {
    private static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Whether `countSQL` (a count of waiting backends) comes to more than 0 within 10 s, looking every 50 ms.
    private static func someone(in store: PostgresDocumentStore, isWaiting countSQL: String) async throws -> Bool {
        for _ in 0..<200 {
            if try await store.fetchStrings(unsafeSQL: countSQL) != ["0"] { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    private static func newID() -> ItemID {
        var generator = SystemRandomNumberGenerator()
        return ItemID.make(at: start, using: &generator)
    }

    @Test func anOlderSessionVersionDoesNotOverwriteANewerOne() async throws {
        try await PostgresTestDatabase.withStore { store in
            var newer = Session(id: Self.newID(), project: "alpha", title: "newer", privacyLevel: .team, at: Self.start)
            newer.updatedAt = Self.start.addingTimeInterval(10)
            try await store.saveSession(newer, audit: nil)
            var older = newer
            older.title = "older"
            older.updatedAt = Self.start.addingTimeInterval(5)
            try await store.saveSession(older, audit: nil)
            #expect(try await store.session(id: newer.id, touch: nil)?.title == "newer")
        }
    }

    @Test func aTieIsBrokenTheSameWayWhicheverArrivesFirst() async throws {
        var winners: [String] = []
        for order in [["a", "b"], ["b", "a"]] {
            let title = try await PostgresTestDatabase.withStore { store in
                let id = Self.newID()
                for title in order {
                    var session = Session(id: id, project: "alpha", title: "version \(title)", privacyLevel: .team, at: Self.start)
                    session.updatedAt = Self.start.addingTimeInterval(1)
                    try await store.saveSession(session, audit: nil)
                }
                return try await store.session(id: id, touch: nil)?.title
            }
            winners.append(try #require(title))
        }
        #expect(winners[0] == winners[1])
    }

    @Test func anErasedSessionCannotComeBack() async throws {
        try await PostgresTestDatabase.withStore { store in
            let session = Session(id: Self.newID(), project: "alpha", title: "to erase", privacyLevel: .team, at: Self.start)
            try await store.saveSession(session, audit: nil)
            #expect(try await store.purgeSession(id: session.id))
            // A change queued elsewhere before the purge arrives afterwards.
            try await store.saveSession(session, audit: nil)
            #expect(try await store.session(id: session.id, touch: nil) == nil)
            let checkpoint = Checkpoint(
                id: Self.newID(), sessionID: session.id, project: "alpha", description: "late", at: Self.start)
            await #expect(throws: ContextError.self) {
                _ = try await store.saveCheckpoint(checkpoint, creating: session, audits: [])
            }
            #expect(try await store.session(id: session.id, touch: nil) == nil)
            #expect(try await store.fetchStrings(unsafeSQL: "SELECT count(*)::text FROM checkpoints") == ["0"])
        }
    }

    @Test func aPurgeWaitsForASaveCreatingTheSessionAndErasesWhatItWrote() async throws {
        try await PostgresTestDatabase.withStore { store in
            let session = Session(id: Self.newID(), project: "alpha", title: "made offline", privacyLevel: .team, at: Self.start)
            let checkpoint = Checkpoint(id: Self.newID(), sessionID: session.id, project: "alpha", description: "first", at: Self.start)
            let vector = ItemEmbedding(
                kind: .checkpoint, id: checkpoint.id, model: "test", vector: [1, 0], createdAt: Self.start, project: "alpha",
                patternType: nil, sessionID: session.id, privacyLevel: .team)
            // A push of a checkpoint that creates its session, held while ChromaDB takes its vector ...
            let (sending, sendingSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let write = VectorWrite(
                embeddings: [vector],
                upsert: { _ in
                    sendingSignal.yield()
                    for await _ in release { break }
                },
                remove: { _ in })
            let save = Task {
                defer { sendingSignal.finish() }  // a save that fails before its vector ends the wait below
                return try await store.saveCheckpoint(checkpoint, creating: session, audits: [], rule: .none, vectors: write)
            }
            for await _ in sending { break }
            // ... when a purge of the session arrives: it waits for the save instead of missing the session.
            let purge = Task { try await store.purgeSession(id: session.id) }
            let purgeWaited = try await Self.someone(
                in: store, isWaiting: "SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            releaseSignal.finish()
            let saved = try await save.value
            guard case .inserted = saved else {
                Issue.record("the save did not insert: \(saved)")
                return
            }
            #expect(try await purge.value, "the purge found the session the save created")
            #expect(purgeWaited)
            #expect(try await store.session(id: session.id, touch: nil) == nil)
            #expect(try await store.checkpoint(id: checkpoint.id, touch: nil) == nil)
            // And a save that starts after the purge is refused.
            let later = Checkpoint(id: Self.newID(), sessionID: session.id, project: "alpha", description: "late", at: Self.start)
            await #expect(throws: ContextError.self) {
                _ = try await store.saveCheckpoint(later, creating: session, audits: [], rule: .none)
            }
            #expect(try await store.session(id: session.id, touch: nil) == nil)
        }
    }

    @Test func aReplicatedMergeIsAddedOnceAndFieldsFollowTheNewestVersion() async throws {
        try await PostgresTestDatabase.withStore { store in
            var pattern = Pattern(id: Self.newID(), project: "alpha", patternType: .workflow, name: "Release", at: Self.start)
            pattern.frequency = 3
            try await store.replicatePattern(pattern, frequencyDelta: 0, changeKey: "replica-a:1")
            #expect(try await store.pattern(id: pattern.id, touch: nil)?.frequency == 3)
            // Two machines merged into it; one merge is replayed twice (a crash before the outbox forgot it).
            var fromA = pattern
            fromA.frequency = 4
            fromA.updatedAt = Self.start.addingTimeInterval(20)
            fromA.template = "newest template"
            try await store.replicatePattern(fromA, frequencyDelta: 1, changeKey: "replica-a:2")
            try await store.replicatePattern(fromA, frequencyDelta: 1, changeKey: "replica-a:2")
            var fromB = pattern
            fromB.frequency = 5
            fromB.updatedAt = Self.start.addingTimeInterval(10)
            fromB.template = "older template"
            try await store.replicatePattern(fromB, frequencyDelta: 2, changeKey: "replica-b:7")
            let stored = try #require(try await store.pattern(id: pattern.id, touch: nil))
            #expect(stored.frequency == 6)
            #expect(stored.template == "newest template")
        }
    }

    @Test func twoPushesCreatingOnePatternAtOnceAddUp() async throws {
        try await PostgresTestDatabase.withStore { store in
            // The creation and a merge, queued on one machine and pushed by two of its processes at once: each
            // sends what the pattern is with its own change in (1 base + 1 merge for the merge's push).
            let created = Pattern(id: Self.newID(), project: "alpha", patternType: .code, name: "Keyset", at: Self.start)
            let merged = { var pattern = created; pattern.frequency = 2; return pattern }()
            // The merge's push has inserted the pattern and not committed yet ...
            let (inserted, insertedSignal) = AsyncStream<Void>.makeStream()
            let (release, releaseSignal) = AsyncStream<Void>.makeStream()
            let first = Task {
                defer { insertedSignal.finish() }  // a failed insert ends the wait below (and fails the test)
                try await store.withTransaction("the merge's push") { connection in
                    try await store.upsert(merged, on: connection)
                    insertedSignal.yield()
                    for await _ in release { break }
                }
            }
            for await _ in inserted { break }
            // ... when the creation's push finds it missing and inserts too, which waits for the first.
            let second = Task { try await store.replicatePattern(created, frequencyDelta: 0, changeKey: "replica-a:1") }
            let secondWaited = try await Self.someone(
                in: store,
                isWaiting: """
                    SELECT count(*)::text FROM pg_stat_activity
                    WHERE wait_event_type = 'Lock' AND datname = current_database() AND query LIKE '%INSERT INTO patterns%'
                    """)
            releaseSignal.finish()
            try await first.value
            try await second.value
            #expect(secondWaited, "the second push's insert waited for the first: the case under test")
            #expect(try await store.pattern(id: created.id, touch: nil)?.frequency == 2)
        }
    }
}
