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

    /// A central service (PostgreSQL with `vectors` as its vector index) and a count of rows in a table.
    private static func central(_ store: PostgresDocumentStore, vectors: some VectorIndex, embedder: HashingEmbedder = HashingEmbedder())
        -> ContextService
    {
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = "alpha"
        configuration.location = .central
        return ContextService(store: store, embedder: embedder, vectorIndex: vectors, configuration: configuration)
    }

    private static func count(_ table: String, in store: PostgresDocumentStore) async throws -> Int {
        Int(try await store.fetchStrings(unsafeSQL: "SELECT count(*)::text FROM \(table)").first ?? "") ?? -1
    }

    @Test func aCentralSaveWritesItsRowsAndVectorsTogether() async throws {
        try await PostgresTestDatabase.withStore { store in
            let vectors = FakeVectorIndex()
            let service = Self.central(store, vectors: vectors)
            let first = try await service.saveCheckpoint(CheckpointDraft(description: "first step of the migration"))
            #expect(first.sessionCreated && first.stored == .central)
            #expect(vectors.ids(.checkpoint) == [first.checkpoint.id])
            #expect(vectors.ids(.session) == [first.checkpoint.sessionID])
            #expect(try await Self.count("embedding_status", in: store) == 2)

            // Into the session just made: only the checkpoint's vector is new.
            var joining = CheckpointDraft(description: "second step")
            joining.sessionID = first.checkpoint.sessionID
            let second = try await service.saveCheckpoint(joining)
            #expect(!second.sessionCreated)
            #expect(vectors.ids(.checkpoint) == [first.checkpoint.id, second.checkpoint.id])
            let query = try await HashingEmbedder().embed(["second step"])[0]
            let found = try await vectors.nearest(to: query, kind: .checkpoint, filter: SearchFilter(scope: .all), limit: 1)
            #expect(found.first?.id == second.checkpoint.id)

            // A named session that does not exist is created, and gets its vector too.
            var naming = CheckpointDraft(description: "third step")
            naming.sessionID = ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f21")!
            let third = try await service.saveCheckpoint(naming)
            #expect(third.sessionCreated)
            #expect(vectors.ids(.session).contains(naming.sessionID!))
            #expect(try await Self.count("embedding_status", in: store) == 5)

            // A retry of the same id writes nothing more.
            var retry = CheckpointDraft(description: "third step")
            retry.id = third.checkpoint.id
            retry.sessionID = naming.sessionID
            #expect(try await service.saveCheckpoint(retry).isDuplicate)
            #expect(try await Self.count("embedding_status", in: store) == 5)
        }
    }

    @Test func aCentralSaveWhoseVectorCannotBeWrittenSavesNothing() async throws {
        try await PostgresTestDatabase.withStore { store in
            let vectors = FakeVectorIndex()
            vectors.isDown = true
            let service = Self.central(store, vectors: vectors)
            do {
                _ = try await service.saveCheckpoint(CheckpointDraft(description: "needs its vector"))
                Issue.record("the save succeeded although its vector could not be written")
            } catch let error as ContextError {
                #expect(error.code == .backendUnavailable)
                #expect(error.message.contains("nothing was saved: the vector index failed"))
                #expect(error.message.contains("ChromaDB at fake:8000 is unreachable"))
            }
            for table in ["checkpoints", "sessions", "privacy_audit", "embedding_status"] {
                #expect(try await Self.count(table, in: store) == 0, "\(table)")
            }
            // Back up: the same call goes through.
            vectors.isDown = false
            let saved = try await service.saveCheckpoint(CheckpointDraft(description: "needs its vector"))
            #expect(vectors.ids(.checkpoint) == [saved.checkpoint.id])
        }
    }

    @Test func vectorsOfASaveThatPostgreSQLRefusesAfterThemAreRemovedAgain() async throws {
        try await PostgresTestDatabase.withStore { store in
            // embedding_status refuses a model name over 200 characters: the transaction fails after the
            // vectors went out, as a lost connection or a refused COMMIT would.
            let vectors = FakeVectorIndex()
            let service = Self.central(store, vectors: vectors, embedder: HashingEmbedder(modelID: String(repeating: "m", count: 201)))
            await #expect(throws: ContextError.self) {
                _ = try await service.saveCheckpoint(CheckpointDraft(description: "refused after its vector was written"))
            }
            // The checkpoint's and its new session's vectors went in while the rows were written, and out again.
            #expect(vectors.writes.upserted == 2 && vectors.writes.removed == 2)
            #expect(vectors.ids(.checkpoint).isEmpty && vectors.ids(.session).isEmpty)
            for table in ["checkpoints", "sessions", "embedding_status"] {
                let rows = try await Self.count(table, in: store)
                #expect(rows == 0, "\(table)")
            }
        }
    }
}
