import ContextCore
import ContextTesting
import Foundation
import PostgresStorage
import Testing

/// Export and import (`memctx export` / `import`, `migrate`'s writes) against real PostgreSQL.
@Suite("PostgreSQL export and import", .postgresServer)
struct PostgresTransferTests {
    @Test func exportThenImportIsExact() async throws {
        let exported = try await PostgresTestDatabase.withStore { store in
            let sample = TransferSamples.batch()
            let counts = try await store.importRecords(sample)
            #expect(counts.inserted[.session] == 3 && counts.inserted[.checkpoint] == 2 && counts.inserted[.pattern] == 2)
            #expect(counts.inserted[.contextLoad] == 1 && counts.audits == 3 && counts.skipped.isEmpty)
            let exported = try await TransferSamples.exportAll(store)
            #expect(exported.canonical == sample.canonical)
            // Importing did not count as use: reuse counts and times are the exported ones.
            #expect(try await store.patterns(ids: [sample.patterns[0].id]).first?.reuseCount == sample.patterns[0].reuseCount)
            return exported
        }
        try await PostgresTestDatabase.withStore { store in
            _ = try await store.importRecords(exported)
            #expect(try await TransferSamples.exportAll(store).canonical == exported.canonical)
            let twice = try await store.importRecords(exported)
            #expect(twice.inserted.isEmpty && twice.audits == 0 && twice.existing[.checkpoint] == 2)
            #expect(try await TransferSamples.exportAll(store, pageSize: 1).canonical == exported.canonical)
            let beta = try await TransferSamples.exportAll(store, scope: .only("beta"))
            #expect(beta.sessions.map(\.project) == ["beta"] && beta.patterns.isEmpty)
        }
    }

    @Test func referencesThatLeadNowhereAndErasedSessionsAreReported() async throws {
        try await PostgresTestDatabase.withStore { store in
            let sample = TransferSamples.batch()
            var batch = RecordBatch()
            batch.checkpoints = [sample.checkpoints[0]]
            batch.patterns = [sample.patterns[1]]
            let counts = try await store.importRecords(batch)
            #expect(counts.skipped.map(\.key) == [sample.checkpoints[0].id.description])
            #expect(counts.droppedReferences.count == 1 && counts.droppedReferences[0].reason.contains("parentPatternId"))

            var sessions = RecordBatch()
            sessions.sessions = [sample.sessions[2]]
            _ = try await store.importRecords(sessions)
            #expect(try await store.purgeSession(id: sample.sessions[2].id))
            let again = try await store.importRecords(sessions)
            #expect(again.inserted.isEmpty && again.skipped.first?.reason.contains("erased") == true, "a purged session came back")
        }
    }
}
