import ArgumentParser
import ChromaStorage
import ContextCore
import ContextSync
import Dispatch
import Foundation
import Logging
import PostgresStorage
import SQLiteStorage
import SentenceEmbedding
import Synchronization

/// `memctx bench central`: the context services on the central repository (PostgreSQL + ChromaDB).
struct CentralBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "central",
        abstract: "Measure saveCheckpoint, hybrid searchPatterns and 100 concurrent requests on the central repository.",
        discussion: """
            Needs MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL (scripts/dev-services.sh start prints them) and the
            embedding model. Works in a schema and collections of its own (bench_<random>), dropped afterwards.
            Times saveCheckpoint (PostgreSQL write + embedding + ChromaDB upsert; the embedding reported alone
            too, and after each save one ChromaDB upsert alone: the floor the save cannot go under), then for
            each size in --sizes seeds that many patterns (vectors: random unit vectors), has PostgreSQL
            VACUUM ANALYZE them (as autovacuum does within a minute of a bulk insert) and times hybrid
            searchPatterns, and finally runs --concurrency requests at once (a mix of
            saveCheckpoint, listSessions, searchPatterns and getCheckpoint), counting errors. Use a release build:
              swift build -c release && eval "$(scripts/dev-services.sh start)" && .build/release/memctx bench central
            """
    )

    @Option(help: "saveCheckpoint calls to time.")
    var checkpoints = 300

    @Option(help: "Stored patterns to measure hybrid search at, comma-separated.")
    var sizes = "10000,100000"

    @Option(help: "Timed hybrid searches per size.")
    var queries = 300

    @Option(help: "Requests in flight at once in the concurrency run.")
    var concurrency = 100

    func run() async throws {
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }), checkpoints > 0, queries > 0, concurrency > 0 else {
            throw ValidationError("--sizes, --checkpoints, --queries and --concurrency must be positive")
        }
        var environment = MemctxEnvironment()
        guard environment.databaseURL != nil, environment.chromaURL != nil else {
            throw CommandFailure("set MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL (eval \"$(scripts/dev-services.sh start)\")")
        }
        guard ModelDirectory.isComplete(environment.modelDirectory) else {
            throw CommandFailure("no embedding model in \(environment.modelDirectory.path): run scripts/fetch-model.sh")
        }
        let name = "bench_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        environment.databaseSchema = name
        environment.chromaPrefix = name + "_"
        environment.project = "bench"
        var logger = Logger(label: "memctx")
        logger.logLevel = .error
        let central = try CentralRepository(environment: environment, logger: logger)
        let embedder = TimedEmbedder(SentenceEmbedder(directory: environment.modelDirectory))
        try await central.store.withRunning {
            try await central.prepare()
            var configuration = ContextServiceConfiguration()
            configuration.defaultProject = "bench"
            configuration.location = .central
            let service = ContextService(store: central.store, embedder: embedder, vectorIndex: central.vectors, configuration: configuration)
            guard let semantic = service.semantic else { return }
            _ = try await embedder.embed(["warm up"])
            print("memctx bench central — PostgreSQL \(central.store.configuration.endpoint), ChromaDB \(central.vectors.configuration.endpoint)\n")
            do {
                try await measure(service, semantic: semantic, embedder: embedder, central: central, sizes: sizes)
            } catch {
                try? await central.store.dropSchema()
                try? await central.vectors.dropCollections()
                throw error
            }
            try await central.store.dropSchema()
            try await central.vectors.dropCollections()
        }
    }

    private func measure(
        _ service: ContextService,
        semantic: SemanticIndex,
        embedder: TimedEmbedder,
        central: CentralRepository,
        sizes: [Int]
    ) async throws {
        let store = central.store
        var generator = SplitMix(seed: 7)
        let words = (0..<3_000).map { StoreBenchCommand.word($0) }
        let session = try await service.createSession(SessionDraft(title: "benchmark")).session.id
        var index = 0
        var embedding: [UInt64] = []
        var withoutEmbedding: [UInt64] = []
        var upsertAlone: [UInt64] = []
        var total: [UInt64] = []
        for _ in 0..<checkpoints {
            let draft = StoreBenchCommand.checkpointDraft(words, session: session, index: index, &generator)
            let before = embedder.total
            let elapsed = try await BenchmarkFigures.elapsed { _ = try await service.saveCheckpoint(draft) }
            let embedded = embedder.total - before
            total.append(elapsed)
            embedding.append(embedded)
            withoutEmbedding.append(elapsed - min(elapsed, embedded))
            index += 1
            // The floor, alternating with the saves so both see the same moment: one vector upserted as a save
            // sends it, without PostgreSQL.
            let record = ItemEmbedding(
                kind: .checkpoint, id: service.makeID(at: Date()), model: semantic.modelID,
                vector: StoreBenchCommand.unitVector(&generator), createdAt: Date(), project: "bench", sessionID: session,
                privacyLevel: .team)
            upsertAlone.append(try await BenchmarkFigures.elapsed { try await central.vectors.upsert([record]) })
        }
        print(BenchmarkFigures.line("saveCheckpoint central (\(checkpoints) calls, embedding included)", total))
        print(BenchmarkFigures.line("  of which the embedding", embedding))
        print(BenchmarkFigures.line("  excluding the embedding (PostgreSQL + ChromaDB)", withoutEmbedding))
        print(BenchmarkFigures.line("  ChromaDB's upsert of one vector alone (after each save)", upsertAlone))
        try await measureReplica(central, embedder: embedder, words: words, generator: &generator)

        var seeded = 0
        for size in sizes.sorted() {
            let started = Date()
            while seeded < size {
                var pattern = Pattern(
                    id: service.makeID(at: Date()), project: "bench",
                    patternType: PatternType.allCases[seeded % PatternType.allCases.count],
                    name: StoreBenchCommand.sentence(words, 5, &generator), at: Date()
                )
                pattern.description = StoreBenchCommand.sentence(words, 20, &generator)
                pattern.template = StoreBenchCommand.sentence(words, 30, &generator)
                try await store.savePattern(pattern, audit: nil)
                seeded += 1
                if seeded % 5_000 == 0 {
                    FileHandle.standardError.write(Data("  seeding \(seeded)/\(size) patterns\r".utf8))
                }
            }
            try await StoreBenchCommand.seedVectors(store, semantic: semantic, project: "bench", generator: &generator)
            // What autovacuum does within about a minute of a bulk insert: statistics, visibility, hint bits.
            try await store.vacuumAnalyze()
            FileHandle.standardError.write(
                Data("  seeded \(size) patterns and vectors in \(Int(Date().timeIntervalSince(started))) s (then VACUUM ANALYZE)\n".utf8))
            try await StoreBenchCommand.measureHybrid(
                service, semantic: semantic, size: size, queries: queries, words: words, generator: &generator)
        }
        try await concurrent(service, words: words, session: session)
    }

    /// saveCheckpoint as `memctx serve` runs it with a central repository: committed to a local replica with
    /// its outbox change, then pushed at once (rows to PostgreSQL while the vector goes to ChromaDB), the
    /// response waiting for the push.
    private func measureReplica(_ central: CentralRepository, embedder: TimedEmbedder, words: [String], generator: inout SplitMix)
        async throws
    {
        let folder = NSTemporaryDirectory() + "memctx-bench-replica-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var localConfiguration = SQLiteStorageConfiguration(path: folder + "/memctx.db")
        localConfiguration.recordsChanges = true
        let local = try SQLiteDocumentStore(configuration: localConfiguration)
        var logger = Logger(label: "memctx")
        logger.logLevel = .error
        let replicator = CompositionRoot.makeReplicator(central: central, local: local, modelID: embedder.modelID, logger: logger)
        try await replicator.start(timeout: .seconds(10))
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = "bench"
        let service = ContextService(
            store: SyncedDocumentStore(local: local, central: central.store, replicator: replicator), embedder: embedder,
            replication: replicator, remoteVectors: central.vectors, configuration: configuration)
        let session = try await service.createSession(SessionDraft(title: "replica benchmark")).session.id
        var index = 0
        var embedding: [UInt64] = []
        var withoutEmbedding: [UInt64] = []
        var pushed = 0
        let total = try await BenchmarkFigures.measure(checkpoints) {
            let draft = StoreBenchCommand.checkpointDraft(words, session: session, index: index, &generator)
            let before = embedder.total
            var location = StorageLocation.local
            let elapsed = try await BenchmarkFigures.elapsed { location = try await service.saveCheckpoint(draft).stored }
            if location == .central { pushed += 1 }
            let embedded = embedder.total - before
            embedding.append(embedded)
            withoutEmbedding.append(elapsed - min(elapsed, embedded))
            index += 1
        }
        await replicator.shutdown()
        print(BenchmarkFigures.line("saveCheckpoint through the local replica (\(checkpoints) calls), embedding included", total))
        print(BenchmarkFigures.line("  excluding the embedding (local commit + push to both)", withoutEmbedding))
        print("  \(pushed) of \(checkpoints) answered stored: central")
    }

    /// `concurrency` requests at once, twice over; every error is counted.
    private func concurrent(_ service: ContextService, words: [String], session: ItemID) async throws {
        var generator = SplitMix(seed: 11)
        let texts = (0..<(concurrency * 2)).map { _ in StoreBenchCommand.sentence(words, 8, &generator) }
        let recent = try await service.checkpoints(CheckpointQuery(filter: ListFilter(scope: .only("bench")))).items.map(\.id)
        let started = DispatchTime.now().uptimeNanoseconds
        let results = await withTaskGroup(of: (UInt64, Bool).self) { group in
            for (index, text) in texts.enumerated() {
                group.addTask {
                    let start = DispatchTime.now().uptimeNanoseconds
                    do {
                        switch index % 4 {
                        case 0:
                            var draft = CheckpointDraft(description: text)
                            draft.sessionID = session
                            _ = try await service.saveCheckpoint(draft)
                        case 1: _ = try await service.sessions(SessionQuery(filter: ListFilter(scope: .only("bench"))))
                        case 2: _ = try await service.search(SearchRequest(query: text, kinds: [.pattern], scope: .only("bench"), limit: 10))
                        default: _ = try await service.checkpoint(id: recent[index % max(1, recent.count)], scope: .only("bench"))
                        }
                        return (DispatchTime.now().uptimeNanoseconds - start, true)
                    } catch {
                        let reason = (error as? ContextError)?.message ?? "\(error)"
                        FileHandle.standardError.write(Data("  request \(index) failed: \(reason)\n".utf8))
                        return (DispatchTime.now().uptimeNanoseconds - start, false)
                    }
                }
            }
            var results: [(UInt64, Bool)] = []
            for await result in group { results.append(result) }
            return results
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let errors = results.filter { !$0.1 }.count
        print(BenchmarkFigures.line("\(results.count) mixed requests, \(concurrency)+ in flight at once", results.map { $0.0 }))
        print(String(format: "  %d errors; %.0f requests/s", errors, Double(results.count) / seconds))
    }
}

/// An embedder that adds up the time spent embedding, so a figure can leave it out.
final class TimedEmbedder: Embedder {
    private let base: SentenceEmbedder
    private let nanoseconds = Atomic<UInt64>(0)

    init(_ base: SentenceEmbedder) { self.base = base }

    var modelID: String { base.modelID }
    var dimension: Int { base.dimension }
    /// Nanoseconds spent in `embed` so far.
    var total: UInt64 { nanoseconds.load(ordering: .relaxed) }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { nanoseconds.add(DispatchTime.now().uptimeNanoseconds - start, ordering: .relaxed) }
        return try await base.embed(texts)
    }
}
