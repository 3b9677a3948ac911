import ArgumentParser
import ContextCore
import Dispatch
import Foundation
import SQLiteStorage
import SentenceEmbedding

/// `memctx bench store`: the context services on a real SQLite file, in-process.
struct StoreBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Measure saveCheckpoint, listSessions and lexical and hybrid searchPatterns on a real database file.",
        discussion: """
            Works in a temporary folder (removed afterwards): saves --checkpoints checkpoints one by one, then
            for each size in --sizes seeds that many patterns and sessions and times listSessions and
            searchPatterns (lexical). When the embedding model is installed it also times saveCheckpoint with
            embedding and hybrid searchPatterns (query embedding included, and reported alone); the seeded
            patterns get random unit vectors (embedding 100,000 synthetic texts would take minutes and the
            scan costs the same). Progress goes to stderr, figures to stdout. Use a release build:
              swift build -c release && .build/release/memctx bench store
            """
    )

    @Option(help: "saveCheckpoint calls to time.")
    var checkpoints = 10_000

    @Option(help: "Stored patterns (and sessions) to measure at, comma-separated.")
    var sizes = "10000,100000"

    @Option(help: "Timed calls per read figure.")
    var queries = 2_000

    @Option(help: "Timed calls per figure that runs the model (saveCheckpoint with embedding, hybrid search).")
    var modelQueries = 300

    @Option(help: "Keep the database in this new folder instead of a temporary one removed afterwards.")
    var keep: String?

    func run() async throws {
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }), checkpoints > 0, queries > 0 else {
            throw ValidationError("--sizes, --checkpoints and --queries must be positive")
        }
        let folder = keep ?? (NSTemporaryDirectory() + "memctx-bench-" + UUID().uuidString)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let store = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: folder + "/memctx.db"))
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = "bench"
        let service = ContextService(store: store, configuration: configuration)
        var generator = SplitMix(seed: 42)
        let words = (0..<3_000).map { index in Self.word(index) }

        print("memctx bench store — SQLite file, in-process ContextService, release build expected\n")
        let session = try await service.createSession(SessionDraft(title: "benchmark")).session.id
        var index = 0
        let samples = try await BenchmarkFigures.measure(checkpoints) {
            _ = try await service.saveCheckpoint(Self.checkpointDraft(words, session: session, index: index, &generator))
            if index % 2_000 == 0 { FileHandle.standardError.write(Data("  saveCheckpoint \(index)/\(checkpoints)\r".utf8)) }
            index += 1
        }
        print(BenchmarkFigures.line("saveCheckpoint (\(checkpoints) calls, ~480-byte content)", samples))

        let modelDirectory = MemctxEnvironment().modelDirectory
        let embedder = ModelDirectory.isComplete(modelDirectory) ? SentenceEmbedder(directory: modelDirectory) : nil
        let hybridService = embedder.map { ContextService(store: store, embedder: $0, configuration: configuration) }
        if let hybridService, let embedder {
            _ = try await embedder.load()
            index = 0
            let embedded = try await BenchmarkFigures.measure(modelQueries) {
                _ = try await hybridService.saveCheckpoint(Self.checkpointDraft(words, session: session, index: index, &generator))
                index += 1
            }
            print(BenchmarkFigures.line("saveCheckpoint with embedding (\(modelQueries) calls)", embedded))
        } else {
            print("(no embedding model in \(modelDirectory.path): hybrid figures skipped; run scripts/fetch-model.sh)")
        }

        var seeded = 0
        for size in sizes.sorted() {
            let started = Date()
            while seeded < size {
                var pattern = Pattern(
                    id: service.makeID(at: Date()),
                    project: "bench",
                    patternType: PatternType.allCases[seeded % PatternType.allCases.count],
                    name: Self.sentence(words, 5, &generator),
                    at: Date()
                )
                pattern.description = Self.sentence(words, 20, &generator)
                pattern.template = Self.sentence(words, 30, &generator)
                try await store.savePattern(pattern, audit: nil)
                var sessionRecord = Session(id: service.makeID(at: Date()), project: "bench", title: Self.sentence(words, 6, &generator), privacyLevel: .team, at: Date())
                sessionRecord.tags = seeded % 10 == 0 ? ["tagged"] : []
                try await store.saveSession(sessionRecord, audit: nil)
                seeded += 1
                if seeded % 5_000 == 0 {
                    FileHandle.standardError.write(Data("  seeding \(seeded)/\(size) patterns and sessions\r".utf8))
                }
            }
            FileHandle.standardError.write(Data("  seeded \(size) in \(Int(Date().timeIntervalSince(started))) s\n".utf8))
            var list: [UInt64] = []
            var search: [UInt64] = []
            var asked: [String] = []
            for _ in 0..<queries {
                list.append(try await BenchmarkFigures.elapsed {
                    _ = try await service.sessions(SessionQuery(filter: ListFilter(scope: .only("bench"))))
                })
                var request = SearchRequest(query: Self.sentence(words, 3, &generator), kinds: [.pattern], scope: .only("bench"), limit: 10)
                request.mode = .lexical
                asked.append(request.query)
                search.append(try await BenchmarkFigures.elapsed { _ = try await service.search(request) })
            }
            print(BenchmarkFigures.line("listSessions (20 per page) at \(size) sessions", list))
            print(BenchmarkFigures.line("searchPatterns lexical (3-word query, 10 hits) at \(size) patterns", search))
            var again: [UInt64] = []
            for query in asked {
                var request = SearchRequest(query: query, kinds: [.pattern], scope: .only("bench"), limit: 10)
                request.mode = .lexical
                again.append(try await BenchmarkFigures.elapsed { _ = try await service.search(request) })
            }
            print(BenchmarkFigures.line("  the same queries again (word counts remembered)", again))
            try await Self.measureLexicalParts(store, queries: asked)
            if let hybridService, let semantic = hybridService.semantic {
                try await Self.seedVectors(store, semantic: semantic, project: "bench", generator: &generator)
                try await Self.measureHybrid(
                    hybridService, semantic: semantic, size: size, queries: modelQueries, words: words, generator: &generator)
            }
        }
    }

    /// The same queries again, part by part: the store's all-words query, the any-word query a search falls
    /// back to when no item holds every word, and reading the hits' rows.
    static func measureLexicalParts(_ store: SQLiteDocumentStore, queries: [String]) async throws {
        var allWords: [UInt64] = []
        var anyWord: [UInt64] = []
        var reading: [UInt64] = []
        let filter = SearchFilter(scope: .only("bench"))
        for query in queries {
            let terms = TextTerms.terms(in: query)
            var hits: [LexicalHit] = []
            allWords.append(try await BenchmarkFigures.elapsed {
                hits = try await store.searchLexical(.pattern, terms: terms, matchAll: true, filter: filter, limit: 20)
            })
            if hits.isEmpty, terms.count > 1 {
                anyWord.append(try await BenchmarkFigures.elapsed {
                    hits = try await store.searchLexical(.pattern, terms: terms, matchAll: false, filter: filter, limit: 20)
                })
            }
            let ids = Array(hits.prefix(15).map(\.id))
            reading.append(try await BenchmarkFigures.elapsed { _ = try await store.patterns(ids: ids) })
        }
        print(BenchmarkFigures.line("  the store's all-words query", allWords))
        print(BenchmarkFigures.line("  the any-word query (\(anyWord.count) of \(queries.count) queries)", anyWord))
        print(BenchmarkFigures.line("  reading the first 15 hits' rows", reading))
    }

    /// Random unit vectors for every pattern that has none yet, stored through `semantic` (locally in the
    /// store, centrally in the vector index).
    static func seedVectors(_ store: any DocumentStore, semantic: SemanticIndex, project: String, generator: inout SplitMix) async throws {
        while true {
            let ids = try await store.itemsWithoutEmbedding(.pattern, model: semantic.modelID, limit: 500)
            guard !ids.isEmpty else { break }
            let vectors = ids.map { id -> ItemEmbedding in
                ItemEmbedding(
                    kind: .pattern, id: id, model: semantic.modelID, vector: unitVector(&generator), createdAt: Date(), project: project)
            }
            try await semantic.record(vectors)
        }
    }

    /// A random 384-dimension unit vector.
    static func unitVector(_ generator: inout SplitMix) -> [Float] {
        let vector = (0..<384).map { _ in Float(Double(generator.next() % 2_000_001) / 1_000_000 - 1) }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return vector.map { $0 / norm }
    }

    static func measureHybrid(
        _ service: ContextService,
        semantic: SemanticIndex,
        size: Int,
        queries modelQueries: Int,
        words: [String],
        generator: inout SplitMix
    ) async throws {
        // The first query loads the vectors into memory.
        let loadStart = DispatchTime.now().uptimeNanoseconds
        var warmUp = SearchRequest(query: "warm up", kinds: [.pattern], scope: .only("bench"), limit: 10)
        warmUp.mode = .hybrid
        _ = try await service.search(warmUp)
        let load = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e6
        var embedding: [UInt64] = []
        var scan: [UInt64] = []
        var lexical: [UInt64] = []
        var hybrid: [UInt64] = []
        let filter = SearchFilter(scope: .only("bench"))
        for _ in 0..<modelQueries {
            let query = Self.sentence(words, 3, &generator)
            var vector: [Float] = []
            embedding.append(try await BenchmarkFigures.elapsed { vector = try await semantic.vector(for: query) })
            scan.append(try await BenchmarkFigures.elapsed {
                _ = try await semantic.nearest(to: vector, kind: .pattern, filter: filter, limit: 60)
            })
            // What hybrid search asks of the store's lexical side (limit: HybridRanking.depth).
            lexical.append(try await BenchmarkFigures.elapsed {
                _ = try await service.store.searchLexicalAllElseAny(
                    .pattern, terms: TextTerms.terms(in: query), filter: filter, limit: HybridRanking.depth, prefetch: 15)
            })
            var request = SearchRequest(query: query, kinds: [.pattern], scope: .only("bench"), limit: 10)
            request.mode = .hybrid
            hybrid.append(try await BenchmarkFigures.elapsed { _ = try await service.search(request) })
        }
        print(BenchmarkFigures.line("searchPatterns hybrid (query embedding included) at \(size) patterns", hybrid))
        print(BenchmarkFigures.line("  the query's embedding alone", embedding))
        print(BenchmarkFigures.line("  the vector scan alone (top 60 of \(size))", scan))
        print(BenchmarkFigures.line("  the lexical queries alone (top \(HybridRanking.depth))", lexical))
        print(String(format: "  (first hybrid search, loading %d vectors into memory: %.0f ms)", size, load))
    }

    /// An 8-word description and 60 words of content; every 50th checkpoint starts a new session.
    static func checkpointDraft(_ words: [String], session: ItemID, index: Int, _ generator: inout SplitMix) -> CheckpointDraft {
        var draft = CheckpointDraft(description: sentence(words, 8, &generator))
        draft.content = sentence(words, 60, &generator)
        draft.sessionID = index % 50 == 0 ? nil : session
        return draft
    }

    /// Synthetic words with a Zipf-like use: low indexes are common.
    static func word(_ index: Int) -> String {
        let syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "so", "vi", "de", "po", "za", "gu"]
        var value = index
        var word = ""
        repeat {
            word += syllables[value % syllables.count]
            value /= syllables.count
        } while value > 0
        return word + "x"
    }

    static func sentence(_ words: [String], _ count: Int, _ generator: inout SplitMix) -> String {
        (0..<count).map { _ in
            let uniform = Double(generator.next() % 1_000_000) / 1_000_000
            return words[min(words.count - 1, Int(pow(uniform, 3) * Double(words.count)))]
        }.joined(separator: " ")
    }
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
