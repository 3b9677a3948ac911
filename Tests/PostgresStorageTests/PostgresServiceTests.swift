import ContextCore
import ContextTesting
import Foundation
import PostgresStorage
import Testing

/// `ContextService` end to end over the PostgreSQL store: what a client's calls do to the central repository.
@Suite("ContextService over PostgreSQL", .postgresServer)
struct PostgresServiceTests {
    @Test func savedCheckpointsJoinRefuseOrCreateTheirSessionInTheTransaction() async throws {
        try await PostgresTestDatabase.withStore { store in
            try await SessionRuleScenario.run(PostgresTestDatabase.service(store)) {
                Int(try await store.fetchStrings(unsafeSQL: "SELECT count(*)::text FROM privacy_audit").first ?? "") ?? -1
            }
        }
    }

    @Test func savingACheckpointCreatesItsSessionOnce() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = PostgresTestDatabase.service(store)
            let sessionID = ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f20")!
            var draft = CheckpointDraft(description: "Wired the PostgreSQL store")
            draft.sessionID = sessionID
            draft.tags = ["postgres", "storage"]
            let first = try await service.saveCheckpoint(draft)
            #expect(first.sessionCreated)
            #expect(first.checkpoint.sessionID == sessionID)
            let session = try await service.session(id: sessionID, scope: .only("alpha"))
            #expect(session.tags == ["postgres", "storage"])

            draft.description = "Second checkpoint"
            let second = try await service.saveCheckpoint(draft)
            #expect(!second.sessionCreated)
            // The same id again is idempotent.
            draft.id = second.checkpoint.id
            let again = try await service.saveCheckpoint(draft)
            #expect(again.isDuplicate)
            var query = CheckpointQuery(filter: ListFilter(scope: .only("alpha")), sessionID: sessionID)
            query.filter.limit = 1
            let page = try await service.checkpoints(query)
            #expect(page.items.map(\.id) == [second.checkpoint.id])
            let next: String = try #require(page.nextCursor)
            query.filter.cursor = next
            #expect(try await service.checkpoints(query).items.map(\.id) == [first.checkpoint.id])
        }
    }

    @Test func similarPatternsMergeByJaccard() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = PostgresTestDatabase.service(store)
            var draft = PatternDraft(patternType: .workflow, name: "Release checklist")
            draft.template = "tag the release, build artifacts, publish release notes"
            draft.tags = ["release"]
            let created = try await service.savePattern(draft)
            #expect(created.action == .created)
            draft.name = "Release checklist steps"
            draft.tags = ["ops"]
            let merged = try await service.savePattern(draft)
            #expect(merged.action == .merged)
            #expect(merged.pattern.id == created.pattern.id)
            let stored = try await service.pattern(id: created.pattern.id, scope: .all)
            #expect(stored.frequency == 2)
            #expect(stored.tags == ["ops", "release"])
            // A different pattern stays apart.
            let other = try await service.savePattern(
                PatternDraft(patternType: .workflow, name: "Rotate database credentials"))
            #expect(other.action == .created)
        }
    }

    @Test func lexicalSearchRanksAndForgivesTypos() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = PostgresTestDatabase.service(store)
            let websocket = try await service.createSession(SessionDraft(title: "Investigate flaky websocket test"))
                .session
            var noisy = SessionDraft(title: "Weekly notes")
            noisy.description = "mentions the websocket once, among many other words about planning and meetings"
            _ = try await service.createSession(noisy)
            _ = try await service.createSession(SessionDraft(title: "Tune database indexes"))
            var kubernetes = PatternDraft(patternType: .configuration, name: "Kubernetes liveness probe timeouts")
            kubernetes.template = "livenessProbe: timeoutSeconds: 5"
            let probe = try await service.savePattern(kubernetes).pattern

            var search = SearchRequest(query: "websocket", kinds: [.session], scope: .only("alpha"), limit: 10)
            search.mode = .lexical
            let hits = try await service.search(search).hits
            #expect(hits.count == 2)
            #expect(hits.first?.item.id == websocket.id, "the title match ranks first")

            // A typo: no word matches exactly, the trigram index still finds the title.
            search.query = "websockt"
            #expect(try await service.search(search).hits.map(\.item.id) == [websocket.id])
            search.query = "flaky websockt"
            #expect(try await service.search(search).hits.map(\.item.id) == [websocket.id])

            var patterns = SearchRequest(query: "kubernets probe", kinds: [.pattern], scope: .all, limit: 5)
            patterns.mode = .lexical
            #expect(try await service.search(patterns).hits.map(\.item.id) == [probe.id])
            patterns.patternType = .code
            #expect(try await service.search(patterns).hits.isEmpty)

            // Any-of when no item holds every word; another project's items stay out.
            search.query = "database websocket"
            #expect(try await service.search(search).hits.count == 3)
            search.scope = .only("beta")
            #expect(try await service.search(search).hits.isEmpty)
        }
    }

    @Test func storeScoresAreBetweenZeroAndOneBestFirst() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = PostgresTestDatabase.service(store)
            _ = try await service.createSession(SessionDraft(title: "Websocket reconnect storm"))
            var body = SessionDraft(title: "Misc")
            body.contextSummary = "a websocket appears here"
            _ = try await service.createSession(body)
            let hits = try await store.searchLexical(
                .session, terms: ["websocket"], matchAll: true, filter: SearchFilter(scope: .all), limit: 10)
            #expect(hits.count == 2)
            #expect(hits.allSatisfy { (0...1).contains($0.score) })
            #expect(hits[0].score > hits[1].score)
            // Terms that could change a tsquery's syntax are reduced to letters and digits.
            let odd = try await store.searchLexical(
                .session, terms: ["web'socket", "&|!"], matchAll: true, filter: SearchFilter(scope: .all), limit: 10)
            #expect(odd.count == 2)
        }
    }

    @Test func purgeAndStatistics() async throws {
        try await PostgresTestDatabase.withStore { store in
            let alpha = PostgresTestDatabase.service(store)
            let beta = PostgresTestDatabase.service(store, project: "beta")
            let kept = try await alpha.saveCheckpoint(CheckpointDraft(description: "kept"))
            let erased = try await alpha.saveCheckpoint(CheckpointDraft(description: "erased"))
            _ = try await beta.saveCheckpoint(CheckpointDraft(description: "beta work"))
            _ = try await alpha.savePattern(PatternDraft(patternType: .decision, name: "Prefer UUIDv7 ids"))
            var archived = SessionDraft(title: "old")
            archived.tags = ["history"]
            let old = try await alpha.createSession(archived).session
            var changes = SessionChanges()
            changes.status = .archived
            _ = try await alpha.updateSession(id: old.id, changes: changes, scope: .all)

            _ = try await alpha.deleteSession(id: erased.checkpoint.sessionID, purge: true, scope: .all)
            await #expect(throws: ContextError.self) {
                try await alpha.checkpoint(id: erased.checkpoint.id, scope: .all)
            }

            let statistics = try await alpha.statistics(scope: .only("alpha"))
            #expect(statistics.sessionsByStatus == [.active: 1, .archived: 1])
            #expect(statistics.checkpoints == 1)
            #expect(statistics.patternsByType == [.decision: 1])
            #expect(statistics.tags == 1)
            #expect(statistics.oldestItem == kept.checkpoint.createdAt)
            #expect(statistics.newestItem == old.createdAt)
            let everything = try await alpha.statistics(scope: .all)
            #expect(everything.checkpoints == 2)
            #expect(everything.sessionsByStatus[.active] == 2)
        }
    }

    @Test func embeddingStatusRecordsWhichItemsHaveAVector() async throws {
        try await PostgresTestDatabase.withStore { store in
            _ = try await ContextService(store: store).saveCheckpoint(
                CheckpointDraft(description: "saved before the model"))
            let embedder = HashingEmbedder()
            #expect(try await store.itemsWithoutEmbedding(.checkpoint, model: embedder.modelID, limit: 10).count == 1)
            #expect(try await store.embeddingCoverage(.checkpoint, model: embedder.modelID) == (0, 1))
            let counts = try await PostgresTestDatabase.service(store, project: "default", embedder: embedder).reindex()
            #expect(counts[.checkpoint] == 1 && counts[.session] == 1)
            #expect(try await store.itemsWithoutEmbedding(.checkpoint, model: embedder.modelID, limit: 10).isEmpty)
            #expect(try await store.embeddingCoverage(.checkpoint, model: embedder.modelID) == (1, 1))
            #expect(try await store.embeddingCoverage(.checkpoint, model: "another/model") == (0, 1))

            // Saving again updates the row; the vectors themselves are not kept here.
            let id = try #require(
                try await store.itemsWithoutEmbedding(.session, model: "another/model", limit: 1).first)
            let vector = ItemEmbedding(
                kind: .session, id: id, model: "another/model", vector: [1, 0], createdAt: Date(), project: "default")
            try await store.saveEmbeddings([vector, vector])
            try await store.saveEmbeddings([vector])
            #expect(
                try await store.fetchStrings(
                    unsafeSQL: "SELECT count(*)::text FROM embedding_status WHERE model = 'another/model'") == ["1"])
            let (embeddings, cursor) = try await store.embeddings(of: .session, model: embedder.modelID, after: 7)
            #expect(embeddings.isEmpty && cursor == 7)
        }
    }
}
