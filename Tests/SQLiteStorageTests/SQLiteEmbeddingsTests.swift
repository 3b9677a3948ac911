import ContextCore
import ContextTesting
import Foundation
import SQLiteStorage
import Testing

@Suite("SQLite embeddings")
struct SQLiteEmbeddingsTests {
    private func service(_ store: SQLiteDocumentStore, _ embedder: HashingEmbedder) -> ContextService {
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = "vectors"
        return ContextService(store: store, embedder: embedder, configuration: configuration)
    }

    @Test func vectorsRoundTripWithTheirFiltersAndACursor() async throws {
        let store = try SQLiteDocumentStore()
        let embedder = HashingEmbedder()
        let service = service(store, embedder)
        var draft = PatternDraft(patternType: .configuration, name: "nginx client_max_body_size for uploads")
        draft.template = "client_max_body_size 50m;"
        let pattern = try await service.savePattern(draft).pattern
        let (first, cursor) = try await store.embeddings(of: .pattern, model: embedder.modelID, after: 0)
        #expect(first.count == 1)
        #expect(first.first?.id == pattern.id)
        #expect(first.first?.project == "vectors" && first.first?.patternType == .configuration)
        #expect(first.first?.vector == embedder.vector("nginx client_max_body_size for uploads\nclient_max_body_size 50m;"))
        #expect(try await store.embeddings(of: .pattern, model: embedder.modelID, after: cursor).embeddings.isEmpty)
        #expect(try await store.embeddings(of: .pattern, model: "another/model", after: 0).embeddings.isEmpty)

        // A replaced vector moves past the cursor, so other processes pick it up.
        var replaced = try #require(first.first)
        replaced.vector = embedder.vector("something else")
        try await store.saveEmbeddings([replaced])
        let (again, next) = try await store.embeddings(of: .pattern, model: embedder.modelID, after: cursor)
        #expect(again.map(\.vector) == [replaced.vector])
        #expect(next > cursor)
    }

    @Test func itemsWithoutVectorsAndCoverage() async throws {
        let store = try SQLiteDocumentStore()
        let withoutModel = ContextService(store: store)
        _ = try await withoutModel.saveCheckpoint(CheckpointDraft(description: "saved before the model was installed"))
        let embedder = HashingEmbedder()
        #expect(try await store.itemsWithoutEmbedding(.checkpoint, model: embedder.modelID, limit: 10).count == 1)
        #expect(try await store.embeddingCoverage(.checkpoint, model: embedder.modelID) == (0, 1))
        let counts = try await service(store, embedder).reindex()
        #expect(counts[.checkpoint] == 1 && counts[.session] == 1)
        #expect(try await store.itemsWithoutEmbedding(.checkpoint, model: embedder.modelID, limit: 10).isEmpty)
        // A vector by another model does not count.
        #expect(try await store.embeddingCoverage(.checkpoint, model: "another/model") == (0, 1))
    }

    @Test func purgeErasesVectors() async throws {
        let store = try SQLiteDocumentStore()
        let embedder = HashingEmbedder()
        let service = service(store, embedder)
        let saved = try await service.saveCheckpoint(CheckpointDraft(description: "to be erased"))
        #expect(try await store.fetchStrings("SELECT item_id FROM embeddings").count == 2)
        _ = try await service.deleteSession(id: saved.checkpoint.sessionID, purge: true, scope: .all)
        #expect(try await store.fetchStrings("SELECT item_id FROM embeddings").isEmpty)
    }

    @Test func aSecondProcessSeesVectorsWrittenByTheFirst() async throws {
        let path = ServerProcess.makeTemporaryHome() + "/data/memctx.db"
        let embedder = HashingEmbedder()
        let writer = service(try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: path)), embedder)
        let reader = service(try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: path)), embedder)
        var request = SearchRequest(query: "kubernetes liveness probe", kinds: [.pattern], scope: .only("vectors"), limit: 5)
        request.mode = .semantic
        #expect(try await reader.search(request).hits.isEmpty)
        _ = try await writer.savePattern(PatternDraft(patternType: .configuration, name: "kubernetes liveness probe timeouts"))
        let hits = try await reader.search(request).hits
        #expect(hits.count == 1, "the reader's in-memory table picks up the writer's vector")
    }
}
