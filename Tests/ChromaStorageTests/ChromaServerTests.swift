import ContextCore
import ContextTesting
import Foundation
import Synchronization
import Testing

@testable import ChromaStorage

/// The ChromaDB server the integration suite runs against: `MEMCTX_CHROMA_URL` (and `MEMCTX_CHROMA_TOKEN`).
enum ChromaServer {
    static let url: URL? = ProcessInfo.processInfo.environment["MEMCTX_CHROMA_URL"].flatMap {
        $0.isEmpty ? nil : URL(string: $0)
    }

    /// A configuration with collection names no other test (or test run) uses.
    static func configuration() -> ChromaConfiguration {
        var configuration = ChromaConfiguration(
            url: url!, token: ProcessInfo.processInfo.environment["MEMCTX_CHROMA_TOKEN"])
        configuration.collectionPrefix = "t" + UUID().uuidString.lowercased().prefix(12).filter { $0 != "-" } + "_"
        return configuration
    }

    /// Runs `body` with a prepared index on fresh collections, and drops them afterwards.
    static func withIndex(
        _ configure: (inout ChromaConfiguration) -> Void = { _ in },
        admitting: ChromaVectorIndex.Admitting? = nil,
        _ body: (ChromaVectorIndex) async throws -> Void
    ) async throws {
        var configuration = configuration()
        configure(&configuration)
        let index = ChromaVectorIndex(configuration: configuration, admitting: admitting)
        try await index.prepare()
        do {
            try await body(index)
        } catch {
            try? await index.dropCollections()
            throw error
        }
        try await index.dropCollections()
    }
}

/// `ChromaVectorIndex` against a real ChromaDB 1.x server.
@Suite(
    "Chroma vector index (ChromaDB server)",
    .enabled(
        if: ChromaServer.url != nil, #"MEMCTX_CHROMA_URL is not set: run eval "$(scripts/dev-services.sh start)" first"#
    )
)
struct ChromaServerTests {
    static let embedder = HashingEmbedder(dimension: 384)
    static let date = Date(timeIntervalSince1970: 1_750_000_000)

    private func id(_ number: Int) -> ItemID {
        ItemID(String(format: "018f3a00-0000-7000-8000-%012d", number))!
    }

    private func embedding(
        _ kind: ItemKind, _ number: Int, _ text: String, project: String = "alpha",
        patternType: PatternType? = nil, sessionID: ItemID? = nil
    ) -> ItemEmbedding {
        ItemEmbedding(
            kind: kind, id: id(number), model: Self.embedder.modelID, vector: Self.embedder.vector(text),
            createdAt: Self.date,
            project: project, patternType: patternType, sessionID: sessionID, privacyLevel: .team
        )
    }

    private func dot(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    }

    @Test func prepareIsIdempotentAlsoFromTwoProcessesAtOnce() async throws {
        let configuration = ChromaServer.configuration()
        let first = ChromaVectorIndex(configuration: configuration)
        let second = ChromaVectorIndex(configuration: configuration)
        // Two indexes racing on get-or-create, then once more each.
        async let one: Void = first.prepare()
        async let two: Void = second.prepare()
        _ = try await (one, two)
        try await first.prepare()
        try await second.prepare()
        try await first.heartbeat()
        try await first.upsert([embedding(.session, 1, "deploy the api gateway")])
        #expect(try await second.count(.session) == 1)
        for kind in ItemKind.allCases where kind != .session { #expect(try await first.count(kind) == 0) }
        try await first.dropCollections()
    }

    /// The filter checked on ChromaDB's metadata, then by `admitting` (here the rows are the embeddings
    /// themselves, with the store's rule: a pattern type only for patterns, a session only for checkpoints).
    @Test(arguments: [false, true])
    func nearestFiltersByProjectTypeAndSessionAndScoresByCosine(checkingRows: Bool) async throws {
        let rows = Mutex<[ItemID: ItemEmbedding]>([:])
        let admitting: ChromaVectorIndex.Admitting = { kind, ids, filter in
            let known = rows.withLock { $0 }
            return Set(ids.filter { id in
                guard let row = known[id], row.kind == kind else { return false }
                if case .only(let project) = filter.scope, row.project != project { return false }
                if let type = filter.patternType, row.patternType != type { return false }
                if let session = filter.sessionID, row.sessionID != session { return false }
                return true
            })
        }
        try await ChromaServer.withIndex(admitting: checkingRows ? admitting : nil) { index in
            let session = id(900)
            let patterns = [
                embedding(.pattern, 1, "retry the flaky database migration with backoff", patternType: .workflow),
                embedding(.pattern, 2, "database migration fails on locked table", patternType: .error),
                embedding(.pattern, 3, "choose postgres for the central database", patternType: .decision),
                embedding(
                    .pattern, 4, "database migration runbook for the beta team members today", project: "beta",
                    patternType: .workflow
                ),
            ]
            let checkpoints = [
                embedding(.checkpoint, 11, "ran the database migration on staging", sessionID: session),
                embedding(.checkpoint, 12, "database migration rolled back", sessionID: id(901)),
            ]
            try await index.upsert(patterns + checkpoints)
            rows.withLock { rows in for row in patterns + checkpoints { rows[row.id] = row } }
            // Distinct scores (words in common / lengths differ), so the top two are well defined.
            let query = Self.embedder.vector("database migration")

            let alpha = try await index.nearest(
                to: query, kind: .pattern, filter: SearchFilter(scope: .only("alpha")), limit: 10)
            #expect(Set(alpha.map(\.id)) == [id(1), id(2), id(3)])
            let all = try await index.nearest(to: query, kind: .pattern, filter: SearchFilter(scope: .all), limit: 10)
            #expect(Set(all.map(\.id)) == [id(1), id(2), id(3), id(4)])
            let workflows = try await index.nearest(
                to: query, kind: .pattern, filter: SearchFilter(scope: .all, patternType: .workflow), limit: 10
            )
            #expect(Set(workflows.map(\.id)) == [id(1), id(4)])
            let alphaWorkflows = try await index.nearest(
                to: query, kind: .pattern, filter: SearchFilter(scope: .only("alpha"), patternType: .workflow),
                limit: 10
            )
            #expect(alphaWorkflows.map(\.id) == [id(1)])
            let inSession = try await index.nearest(
                to: query, kind: .checkpoint, filter: SearchFilter(scope: .only("alpha"), sessionID: session), limit: 10
            )
            #expect(inSession.map(\.id) == [id(11)])
            #expect(
                try await index.nearest(
                    to: query, kind: .pattern, filter: SearchFilter(scope: .only("gamma")), limit: 10
                ).isEmpty)
            #expect(
                try await index.nearest(to: query, kind: .session, filter: SearchFilter(scope: .all), limit: 10).isEmpty
            )

            // Scores are the cosine similarity of the normalised vectors, best first.
            let vectors = Dictionary(uniqueKeysWithValues: patterns.map { ($0.id, $0.vector) })
            for hit in all {
                #expect(abs(hit.score - dot(query, try #require(vectors[hit.id]))) < 1e-5)
            }
            #expect(all.map(\.id) == [id(2), id(1), id(4), id(3)])
            let limited = try await index.nearest(
                to: query, kind: .pattern, filter: SearchFilter(scope: .all), limit: 2)
            #expect(limited.map(\.id) == Array(all.prefix(2).map(\.id)))
        }
    }

    @Test func vectorsReturnsWhatWasStoredAndUpsertReplaces() async throws {
        try await ChromaServer.withIndex { index in
            let original = embedding(.checkpoint, 1, "first version of the text")
            try await index.upsert([original, embedding(.checkpoint, 2, "another checkpoint")])
            let stored = try await index.vectors(.checkpoint, ids: [id(1), id(3)])
            #expect(Set(stored.keys) == [id(1)])
            let vector = try #require(stored[id(1)])
            #expect(vector.count == 384)
            #expect(zip(vector, original.vector).allSatisfy { abs($0 - $1) < 1e-6 })

            var replaced = original
            replaced.vector = Self.embedder.vector("the text was rewritten entirely")
            try await index.upsert([replaced])
            #expect(try await index.count(.checkpoint) == 2)
            let again = try #require(try await index.vectors(.checkpoint, ids: [id(1)])[id(1)])
            #expect(zip(again, replaced.vector).allSatisfy { abs($0 - $1) < 1e-6 })
            #expect(try await index.vectors(.pattern, ids: [id(1)]).isEmpty)
        }
    }

    @Test func removeDeletesAndIgnoresUnknownIdsAndCountFollows() async throws {
        try await ChromaServer.withIndex({ $0.batchSize = 2 }) { index in
            try await index.upsert(
                (1...5).map { embedding(.session, $0, "session number \($0) about topic \($0 % 2)") })
            #expect(try await index.count(.session) == 5)
            try await index.remove(.session, ids: [id(2), id(4), id(99)])
            #expect(try await index.count(.session) == 3)
            #expect(Set(try await index.vectors(.session, ids: (1...5).map(id)).keys) == [id(1), id(3), id(5)])
            let hits = try await index.nearest(
                to: Self.embedder.vector("session number 2"), kind: .session, filter: SearchFilter(scope: .all),
                limit: 10
            )
            #expect(Set(hits.map(\.id)) == [id(1), id(3), id(5)])
        }
    }

    @Test func removeCheckpointsOfASessionFindsThemBySessionID() async throws {
        try await ChromaServer.withIndex { index in
            try await index.upsert(
                (1...5).map { embedding(.checkpoint, $0, "checkpoint \($0)", sessionID: id(100 + $0 % 2)) }
                    + [embedding(.session, 101, "the session")])
            try await index.removeCheckpoints(ofSession: id(101))
            #expect(Set(try await index.vectors(.checkpoint, ids: (1...5).map(id)).keys) == [id(2), id(4)])
            #expect(try await index.count(.session) == 1)
            // Nothing left of it: a second sweep (a retried purge) deletes nothing and does not fail.
            try await index.removeCheckpoints(ofSession: id(101))
            #expect(try await index.count(.checkpoint) == 2)
        }
    }

    @Test func vectorsOfAnotherDimensionAreInvalidInput() async throws {
        try await ChromaServer.withIndex { index in
            try await index.upsert([embedding(.pattern, 1, "three hundred eighty four", patternType: .code)])
            // Refused before sending.
            var short = embedding(.pattern, 2, "short")
            short.vector = [1, 0, 0]
            let local = try await #require(throws: ContextError.self) { try await index.upsert([short]) }
            #expect(local.code == .invalidInput && local.field == "vector")
            // Chroma's own 400, when a vector of another length does reach it.
            let remote = try await #require(throws: ContextError.self) {
                try await index.withCollection(.pattern) { collection in
                    try await index.client.post(
                        index.client.recordRoute(collection, "upsert"),
                        ChromaAPI.Upsert(
                            ids: [id(2).description], embeddings: [[1, 0, 0]],
                            metadatas: [["project": .string("alpha")]])
                    )
                }
            }
            #expect(remote.code == .invalidInput && remote.field == "vector")
            #expect(remote.message.contains("ChromaDB") && remote.message.contains("dimension"))
            // An index configured for another dimension refuses the collection at prepare.
            var other = index.configuration
            other.dimension = 768
            let conflict = try await #require(throws: ContextError.self) {
                try await ChromaVectorIndex(configuration: other).prepare()
            }
            #expect(conflict.code == .conflict && conflict.message.contains("384-dimension"))
        }
    }

    @Test func anExistingCollectionThatIsNotCosineIsRefused() async throws {
        let configuration = ChromaServer.configuration()
        let index = ChromaVectorIndex(configuration: configuration)
        // Someone created it with Chroma's default (l2) distance.
        let name = configuration.collectionName(for: .checkpoint)
        _ = try await index.client.post(
            index.client.databaseRoute + ["collections"],
            ChromaAPI.CreateCollection(name: name, configuration: nil, metadata: nil, getOrCreate: false),
            as: ChromaAPI.Collection.self
        )
        let error = try await #require(throws: ContextError.self) { try await index.prepare() }
        #expect(error.code == .conflict)
        #expect(error.message.contains("'\(name)' uses l2 distance"))
        try await index.dropCollections()
    }

    @Test func aCollectionDeletedBehindTheIndexsBackIsCreatedAgain() async throws {
        try await ChromaServer.withIndex { index in
            try await index.upsert([embedding(.pattern, 1, "before", patternType: .code)])
            try await ChromaVectorIndex(configuration: index.configuration).dropCollections()
            try await index.upsert([embedding(.pattern, 2, "after", patternType: .code)])
            #expect(try await index.count(.pattern) == 1)
        }
    }
}
