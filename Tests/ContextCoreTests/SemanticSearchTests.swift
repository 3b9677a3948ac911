import ContextCore
import ContextTesting
import Foundation
import Testing

@Suite("vector table")
struct VectorTableTests {
    private func unit(_ values: [Float]) -> [Float] {
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / norm }
    }

    private func entry(_ id: ItemID, _ vector: [Float], project: String = "p", type: PatternType? = nil) -> ItemEmbedding {
        ItemEmbedding(kind: .pattern, id: id, model: "m", vector: vector, createdAt: Date(), project: project, patternType: type)
    }

    @Test func nearestIsExactCosineOrderWithFilters() {
        var table = VectorTable(dimension: 3)
        let a = newID()
        let b = newID()
        let c = newID()
        table.upsert(entry(a, unit([1, 0, 0]), type: .code))
        table.upsert(entry(b, unit([1, 1, 0]), type: .error))
        table.upsert(entry(c, unit([0, 0, 1]), project: "other"))
        let query = unit([1, 0.1, 0])
        let all = table.nearest(to: query, filter: SearchFilter(scope: .all), limit: 10)
        #expect(all.map(\.id) == [a, b, c])
        #expect(abs(all[0].score - 0.995_037) < 1e-5)
        #expect(table.nearest(to: query, filter: SearchFilter(scope: .only("p")), limit: 10).map(\.id) == [a, b])
        #expect(table.nearest(to: query, filter: SearchFilter(scope: .only("p"), patternType: .error), limit: 10).map(\.id) == [b])
        #expect(table.nearest(to: query, filter: SearchFilter(scope: .only("nobody")), limit: 10).isEmpty)
        #expect(table.nearest(to: query, filter: SearchFilter(scope: .all), limit: 1).map(\.id) == [a])
    }

    @Test func upsertReplacesAndRemoveKeepsTheRestFindable() {
        var table = VectorTable(dimension: 2)
        let ids = (0..<5).map { _ in newID() }
        for (index, id) in ids.enumerated() { table.upsert(entry(id, unit([Float(index + 1), 1]))) }
        table.upsert(entry(ids[0], unit([0, 1])))
        #expect(table.count == 5)
        #expect(table.vector(of: ids[0]) == unit([0, 1]))
        table.remove(ids[1])
        #expect(table.count == 4)
        #expect(table.vector(of: ids[1]) == nil)
        #expect(table.vector(of: ids[4]) == unit([5, 1]))
        let found = table.nearest(to: unit([0, 1]), filter: SearchFilter(scope: .all), limit: 10).map(\.id)
        #expect(Set(found) == Set([ids[0], ids[2], ids[3], ids[4]]))
        #expect(found.first == ids[0])
        let accepted = table.upsert(entry(ids[2], [1, 0, 0]))
        #expect(!accepted, "a vector of the wrong dimension is refused")
    }

    @Test func parallelScanOfManyVectorsMatchesASerialOne() {
        var table = VectorTable(dimension: 16)
        var generator = SystemRandomNumberGenerator()
        var vectors: [(ItemID, [Float])] = []
        for _ in 0..<20_000 {
            let vector = unit((0..<16).map { _ in Float.random(in: -1...1, using: &generator) })
            let id = ItemID.make(at: Date(), using: &generator)
            vectors.append((id, vector))
            table.upsert(entry(id, vector))
        }
        let query = unit((0..<16).map { _ in Float.random(in: -1...1, using: &generator) })
        let expected = vectors.map { ($0.0, zip($0.1, query).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
            .sorted { $0.1 > $1.1 }.prefix(20).map(\.0)
        let found = table.nearest(to: query, filter: SearchFilter(scope: .all), limit: 20).map(\.id)
        #expect(found == Array(expected))
    }
}

@Suite("semantic and hybrid search in the service")
struct SemanticServiceTests {
    private func makeService() -> (ContextService, InMemoryDocumentStore, HashingEmbedder) {
        let store = InMemoryDocumentStore()
        let embedder = HashingEmbedder()
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = "unit"
        return (ContextService(store: store, embedder: embedder, configuration: configuration), store, embedder)
    }

    @Test func writesAreEmbeddedAndSearchDefaultsToHybrid() async throws {
        let (service, store, _) = makeService()
        var draft = PatternDraft(patternType: .error, name: "Retry with exponential backoff")
        draft.description = "jitter avoids thundering herds"
        _ = try await service.savePattern(draft)
        var checkpoint = CheckpointDraft(description: "Fixed the login redirect loop")
        checkpoint.content = "cookie set before redirect"
        _ = try await service.saveCheckpoint(checkpoint)
        #expect(try await store.embeddingCoverage(.pattern, model: "test/hashing") == (1, 1))
        #expect(try await store.embeddingCoverage(.checkpoint, model: "test/hashing") == (1, 1))
        #expect(try await store.embeddingCoverage(.session, model: "test/hashing") == (1, 1))

        let results = try await service.search(SearchRequest(query: "backoff jitter", kinds: [.pattern], scope: .only("unit"), limit: 5))
        #expect(results.mode == .hybrid)
        let hit = try #require(results.hits.first)
        #expect(hit.signals["semantic"] != nil && hit.signals["semanticRank"] == 1)
        #expect(hit.signals["lexical"] != nil && hit.signals["lexicalRank"] == 1)
        #expect(abs(hit.score - (0.7 * hit.signals["semantic"]! + 0.3 * hit.signals["lexical"]!)) < 1e-9)
    }

    @Test func semanticModeFindsWithoutSharedTermsInTheIndexAndHonoursScope() async throws {
        let (service, _, _) = makeService()
        var draft = PatternDraft(patternType: .code, name: "alpha beta gamma")
        draft.project = "elsewhere"
        _ = try await service.savePattern(draft)
        _ = try await service.savePattern(PatternDraft(patternType: .code, name: "alpha beta delta"))
        var request = SearchRequest(query: "alpha beta", kinds: [.pattern], scope: .only("unit"), limit: 5)
        request.mode = .semantic
        let hits = try await service.search(request).hits
        #expect(hits.count == 1)
        guard case .pattern(let pattern) = hits.first?.item else { Issue.record("no pattern hit"); return }
        #expect(pattern.name == "alpha beta delta")
        #expect(hits.first?.signals["lexical"] == nil)
    }

    @Test func savePatternMergesByCosineOfEmbeddings() async throws {
        let (service, _, _) = makeService()
        var first = PatternDraft(patternType: .workflow, name: "Rebase feature branch onto main before review")
        first.template = "git fetch && git rebase origin/main"
        let created = try await service.savePattern(first)
        #expect(created.action == .created)
        var same = PatternDraft(patternType: .workflow, name: "rebase feature branch onto main before review")
        same.template = "git fetch && git rebase origin/main"
        let merged = try await service.savePattern(same)
        #expect(merged.action == .merged)
        #expect(merged.pattern.id == created.pattern.id)
        #expect((merged.similarity ?? 0) > 0.99)
        let other = try await service.savePattern(PatternDraft(patternType: .workflow, name: "Tune PostgreSQL autovacuum thresholds"))
        #expect(other.action == .created)
        var otherType = same
        otherType.patternType = .decision
        #expect(try await service.savePattern(otherType).action == .created, "patterns of another type never merge")
    }

    @Test func failedEmbeddingKeepsTheWriteAndReindexRepairsIt() async throws {
        let (service, store, embedder) = makeService()
        embedder.setFailing(true)
        let saved = try await service.saveCheckpoint(CheckpointDraft(description: "written while the model failed"))
        #expect(saved.stored == .local)
        #expect(service.semantic?.failureCount == 1)  // one write (the checkpoint and the session it created)
        #expect(try await store.embeddingCoverage(.checkpoint, model: "test/hashing") == (0, 1))
        embedder.setFailing(false)
        var seen: [ReindexProgress] = []
        let counts = try await service.reindex(batchSize: 1) { seen.append($0) }
        #expect(counts[.checkpoint] == 1 && counts[.session] == 1 && counts[.pattern] == 0)
        #expect(seen.contains { $0.kind == .checkpoint && $0.done == 1 && $0.total == 1 })
        #expect(try await store.embeddingCoverage(.checkpoint, model: "test/hashing") == (1, 1))
        #expect(try await service.reindex().values.reduce(0, +) == 0, "a second run has nothing to do")
    }

    @Test func aVectorThatCannotBeRefreshedIsDroppedSoReindexRedoesIt() async throws {
        let (service, store, embedder) = makeService()
        let created = try await service.createSession(SessionDraft(title: "old title about caching"))
        #expect(try await store.embeddingCoverage(.session, model: "test/hashing") == (1, 1))
        embedder.setFailing(true)
        var changes = SessionChanges()
        changes.title = "new title about retries"
        _ = try await service.updateSession(id: created.session.id, changes: changes, scope: .only("unit"))
        #expect(try await store.embeddingCoverage(.session, model: "test/hashing") == (0, 1), "the stale vector is gone")
        embedder.setFailing(false)
        #expect(try await service.reindex()[.session] == 1)
    }

    @Test func loadContextWithoutAModeFallsBackToLexicalWhenTheModelFails() async throws {
        let (service, _, embedder) = makeService()
        _ = try await service.saveCheckpoint(CheckpointDraft(description: "rotated the signing keys"))
        embedder.setFailing(true)
        let loaded = try await service.loadContext(ContextRequest(query: "signing keys", scope: .only("unit"), sessionID: nil, tokenBudget: 500))
        #expect(loaded.mode == .lexical)
        #expect(loaded.text.contains("rotated the signing keys"))
    }

    @Test func withoutAnEmbedderSemanticModesAreAClearError() async throws {
        let service = ContextService(store: InMemoryDocumentStore())
        var request = SearchRequest(query: "anything", kinds: [.pattern], scope: .all, limit: 5)
        #expect(try await service.search(request).mode == .lexical)
        request.mode = .hybrid
        await #expect(throws: ContextError.self) { try await service.search(request) }
        do {
            _ = try await service.search(request)
        } catch {
            #expect(error.code == .unsupported && error.field == "mode")
        }
    }

    @Test func purgedSessionsLeaveSemanticResults() async throws {
        let (service, _, _) = makeService()
        let saved = try await service.saveCheckpoint(CheckpointDraft(description: "secret plan for quarterly migration"))
        var request = SearchRequest(query: "quarterly migration plan", kinds: [.checkpoint, .session], scope: .only("unit"), limit: 5)
        request.mode = .semantic
        #expect(try await service.search(request).hits.count == 2)
        _ = try await service.deleteSession(id: saved.checkpoint.sessionID, purge: true, scope: .only("unit"))
        #expect(try await service.search(request).hits.isEmpty)
    }
}

private func newID() -> ItemID {
    var generator = SystemRandomNumberGenerator()
    return ItemID.make(at: Date(), using: &generator)
}

/// A central vector index that is down.
private struct UnreachableVectorIndex: VectorIndex {
    private func down() -> ContextError { ContextError(.backendUnavailable, "ChromaDB at 127.0.0.1:1 is unreachable: connection refused") }
    func upsert(_ embeddings: [ItemEmbedding]) async throws { throw down() }
    func nearest(to vector: [Float], kind: ItemKind, filter: SearchFilter, limit: Int) async throws -> [(id: ItemID, score: Float)] {
        throw down()
    }
    func vectors(_ kind: ItemKind, ids: [ItemID]) async throws -> [ItemID: [Float]] { throw down() }
    func remove(_ kind: ItemKind, ids: [ItemID]) async throws { throw down() }
    func removeCheckpoints(ofSession session: ItemID) async throws { throw down() }
    func count(_ kind: ItemKind) async throws -> Int { throw down() }
}

@Suite("central vector index failures")
struct CentralVectorFailureTests {
    @Test func aWriteWhoseVectorCannotBeStoredFailsSayingWhatIsMissing() async throws {
        let store = InMemoryDocumentStore()
        var configuration = ContextServiceConfiguration()
        configuration.location = .central
        let service = ContextService(store: store, embedder: HashingEmbedder(), vectorIndex: UnreachableVectorIndex(), configuration: configuration)
        do {
            _ = try await service.saveCheckpoint(CheckpointDraft(description: "needs a vector"))
            Issue.record("the write succeeded although its vector could not be stored")
        } catch {
            #expect(error.code == .backendUnavailable)
            #expect(error.message.contains("saved in the central database, but its vector is not in the vector index"))
            #expect(error.message.contains("ChromaDB at 127.0.0.1:1 is unreachable"))
            #expect(error.message.contains("memctx reindex"))
        }
        // The rows are there and reindex knows the vectors are missing.
        #expect(try await store.embeddingCoverage(.checkpoint, model: "test/hashing") == (0, 1))
        // A purge stops before erasing rows when their vectors cannot be erased: nothing half-done.
        let sessions = try await service.sessions(SessionQuery(filter: ListFilter(scope: .all)))
        let session = try #require(sessions.items.first)
        await #expect(throws: ContextError.self) { try await service.deleteSession(id: session.id, purge: true, scope: .all) }
        #expect(try await store.session(id: session.id, touch: nil) != nil)
    }
}

@Suite("purge with a central vector index")
struct CentralPurgeTests {
    private func service(_ vectors: FakeVectorIndex) -> ContextService {
        var configuration = ContextServiceConfiguration()
        configuration.location = .central
        configuration.defaultProject = "alpha"
        return ContextService(store: InMemoryDocumentStore(), embedder: HashingEmbedder(), vectorIndex: vectors, configuration: configuration)
    }

    private func unlisted(sessionID: ItemID, project: String = "alpha") -> ItemEmbedding {
        var generator = SystemRandomNumberGenerator()
        return ItemEmbedding(
            kind: .checkpoint, id: ItemID.make(at: Date(), using: &generator), model: HashingEmbedder().modelID,
            vector: HashingEmbedder().vector("sent while the purge waited"), createdAt: Date(), project: project,
            patternType: nil, sessionID: sessionID, privacyLevel: .team)
    }

    @Test func aRetriedPurgeSweepsWhatTheFirstLeft() async throws {
        let vectors = FakeVectorIndex()
        let service = service(vectors)
        let saved = try await service.saveCheckpoint(CheckpointDraft(description: "customer call notes"))
        let session = saved.checkpoint.sessionID
        try await service.deleteSession(id: session, purge: true, scope: .all)
        #expect(vectors.ids(.checkpoint).isEmpty && vectors.ids(.session).isEmpty)
        // A vector the first purge's sweep could not erase (ChromaDB failed after the rows were gone): the
        // retry finds no session, says so, and sweeps.
        try await vectors.upsert([unlisted(sessionID: session)])
        await #expect(throws: ContextError.self) { try await service.deleteSession(id: session, purge: true, scope: .all) }
        #expect(vectors.ids(.checkpoint).isEmpty)
    }

    @Test func aPurgeOutOfScopeErasesNothing() async throws {
        let vectors = FakeVectorIndex()
        let service = service(vectors)
        let saved = try await service.saveCheckpoint(CheckpointDraft(description: "another project's notes"))
        let session = saved.checkpoint.sessionID
        await #expect(throws: ContextError.self) {
            try await service.deleteSession(id: session, purge: true, scope: .only("beta"))
        }
        #expect(vectors.ids(.checkpoint) == [saved.checkpoint.id])
        #expect(vectors.ids(.session) == [session])
    }
}
