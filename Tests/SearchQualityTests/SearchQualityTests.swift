import ContextCore
import Foundation
import SQLiteStorage
import SentenceEmbedding
import Testing

/// The labelled retrieval set in Resources/retrieval-set.json (written for this test: patterns and
/// checkpoints about software work with near-miss distractors, and queries of six kinds with their relevant
/// items), searched in every mode through the real service, SQLite store and MiniLM model.
struct RetrievalSet: Decodable {
    struct Item: Decodable {
        var id: String
        var kind: String
        var patternType: String?
        var name: String?
        var description: String
        var template: String?
        var content: String?
    }

    struct Query: Decodable {
        var id: String
        var kind: String
        var query: String
        var relevant: [String]
    }

    var items: [Item]
    var queries: [Query]

    static let shared: RetrievalSet = {
        let url = Bundle.module.url(forResource: "Resources/retrieval-set", withExtension: "json")!
        return try! JSONDecoder().decode(RetrievalSet.self, from: Data(contentsOf: url))
    }()
}

/// Recall@5 and MRR (first relevant hit within the top 10) of one mode, overall and per query kind.
struct QualityFigures {
    var recall: [String: [Double]] = [:]
    var reciprocalRank: [String: [Double]] = [:]

    mutating func add(kind: String, recall: Double, reciprocalRank: Double) {
        for key in [kind, "all"] {
            self.recall[key, default: []].append(recall)
            self.reciprocalRank[key, default: []].append(reciprocalRank)
        }
    }

    func recallAt5(_ kind: String) -> Double { mean(recall[kind] ?? []) }
    func meanReciprocalRank(_ kind: String) -> Double { mean(reciprocalRank[kind] ?? []) }
    private func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}

enum QualityHarness {
    static let modelDirectory = ModelDirectory.resolve(environment: ProcessInfo.processInfo.environment)
    static let isModelPresent = ModelDirectory.isComplete(modelDirectory)

    /// A service over an in-memory database holding the whole set, every item embedded.
    static func makeService() async throws -> (ContextService, [ItemID: String]) {
        let store = try SQLiteDocumentStore()
        let service = ContextService(store: store, embedder: SentenceEmbedder(directory: modelDirectory))
        let date = Date(timeIntervalSince1970: 1_750_000_000)
        let session = Session(id: id(0), project: "quality", title: "retrieval set", privacyLevel: .team, at: date)
        try await store.saveSession(session, audit: nil)
        var names: [ItemID: String] = [:]
        for (index, item) in RetrievalSet.shared.items.enumerated() {
            let itemID = id(index + 1)
            names[itemID] = item.id
            if item.kind == "pattern" {
                var pattern = Pattern(
                    id: itemID,
                    project: "quality",
                    patternType: PatternType(rawValue: item.patternType ?? "") ?? .workflow,
                    name: item.name ?? "",
                    at: date
                )
                pattern.description = item.description
                pattern.template = item.template
                try await store.savePattern(pattern, audit: nil)
            } else {
                var checkpoint = Checkpoint(id: itemID, sessionID: session.id, project: "quality", description: item.description, at: date)
                checkpoint.content = item.content
                _ = try await store.saveCheckpoint(checkpoint, creating: nil, audits: [])
            }
        }
        _ = try await service.reindex(batchSize: 64)
        return (service, names)
    }

    static func id(_ index: Int) -> ItemID {
        ItemID(String(format: "00000000-0000-7000-8000-%012d", index))!
    }

    static func evaluate(_ service: ContextService, names: [ItemID: String], mode: SearchMode) async throws -> QualityFigures {
        var figures = QualityFigures()
        for query in RetrievalSet.shared.queries {
            var request = SearchRequest(query: query.query, kinds: [.pattern, .checkpoint], scope: .only("quality"), limit: 10)
            request.mode = mode
            var ranked: [String] = []
            do {
                ranked = try await service.search(request).hits.compactMap { names[$0.item.id] }
            } catch {
                // A lexical search for a query with no word finds nothing; anything else is a failure.
                guard error.code == .invalidInput else { throw error }
            }
            let relevant = Set(query.relevant)
            let found = ranked.prefix(5).filter(relevant.contains).count
            let firstRank = ranked.firstIndex(where: relevant.contains).map { $0 + 1 }
            figures.add(kind: query.kind, recall: Double(found) / Double(relevant.count), reciprocalRank: firstRank.map { 1 / Double($0) } ?? 0)
        }
        return figures
    }
}

@Suite(
    "search quality on the labelled retrieval set",
    .enabled(if: QualityHarness.isModelPresent, "the model files are not installed: run scripts/fetch-model.sh")
)
struct SearchQualityTests {
    @Test func retrievalSetIsLargeEnoughAndConsistent() {
        let set = RetrievalSet.shared
        #expect(set.items.count >= 200)
        #expect(set.queries.count >= 40)
        let ids = Set(set.items.map(\.id))
        #expect(ids.count == set.items.count)
        for query in set.queries { #expect(!query.relevant.isEmpty && query.relevant.allSatisfy(ids.contains), "\(query.id)") }
        let kinds = Set(set.queries.map(\.kind))
        #expect(kinds == ["paraphrase", "identifier", "mixed", "typo", "short", "question"])
    }

    @Test func hybridBeatsBothSingleModes() async throws {
        let (service, names) = try await QualityHarness.makeService()
        var figures: [SearchMode: QualityFigures] = [:]
        for mode in [SearchMode.lexical, .semantic, .hybrid] {
            figures[mode] = try await QualityHarness.evaluate(service, names: names, mode: mode)
        }
        let kinds = ["all", "paraphrase", "identifier", "mixed", "typo", "short", "question"]
        var report = "recall@5 / MRR@10 per mode and query kind (\(RetrievalSet.shared.queries.count) queries, \(RetrievalSet.shared.items.count) items)\n"
        report += "kind".padding(toLength: 12, withPad: " ", startingAt: 0)
        for mode in [SearchMode.lexical, .semantic, .hybrid] { report += mode.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0) }
        report += "\n"
        for kind in kinds {
            report += kind.padding(toLength: 12, withPad: " ", startingAt: 0)
            for mode in [SearchMode.lexical, .semantic, .hybrid] {
                let figure = figures[mode]!
                report += String(format: "%.3f / %.3f     ", figure.recallAt5(kind), figure.meanReciprocalRank(kind))
            }
            report += "\n"
        }
        print(report)

        let lexical = figures[.lexical]!, semantic = figures[.semantic]!, hybrid = figures[.hybrid]!
        #expect(hybrid.recallAt5("all") > lexical.recallAt5("all"), "\(report)")
        #expect(hybrid.recallAt5("all") > semantic.recallAt5("all"), "\(report)")
        for kind in kinds.dropFirst() {
            let best = max(lexical.recallAt5(kind), semantic.recallAt5(kind))
            #expect(hybrid.recallAt5(kind) >= best - 0.05, "\(kind): hybrid \(hybrid.recallAt5(kind)) vs best single \(best)\n\(report)")
        }
    }
}

/// The fusion alternatives measured when choosing hybrid's design (docs/search.md): reciprocal rank fusion
/// and the normalised-score combination at several lexical weights, over the same two candidate lists.
@Suite(
    "fusion alternatives on the labelled retrieval set",
    .enabled(if: QualityHarness.isModelPresent, "the model files are not installed: run scripts/fetch-model.sh")
)
struct FusionAlternativesTests {
    @Test func chosenFusionIsAtLeastAsGoodAsTheAlternatives() async throws {
        let (service, names) = try await QualityHarness.makeService()
        var lists: [(RetrievalSet.Query, lexical: [(String, Double)], semantic: [(String, Double)])] = []
        for query in RetrievalSet.shared.queries {
            var candidates: [SearchMode: [(String, Double)]] = [:]
            for mode in [SearchMode.lexical, .semantic] {
                var request = SearchRequest(query: query.query, kinds: [.pattern, .checkpoint], scope: .only("quality"), limit: 50)
                request.mode = mode
                let hits = (try? await service.search(request).hits) ?? []
                candidates[mode] = hits.compactMap { hit in names[hit.item.id].map { ($0, hit.score) } }
            }
            lists.append((query, candidates[.lexical] ?? [], candidates[.semantic] ?? []))
        }
        typealias Fusion = (_ lexical: [(String, Double)], _ semantic: [(String, Double)]) -> [String]
        func rrf(k: Double) -> Fusion {
            { lexical, semantic in
                var scores: [String: Double] = [:]
                for (rank, hit) in lexical.enumerated() { scores[hit.0, default: 0] += 1 / (k + Double(rank + 1)) }
                for (rank, hit) in semantic.enumerated() { scores[hit.0, default: 0] += 1 / (k + Double(rank + 1)) }
                return scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
            }
        }
        func weighted(_ weight: Double) -> Fusion {
            { lexical, semantic in
                var scores: [String: Double] = [:]
                for hit in semantic { scores[hit.0, default: 0] += (1 - weight) * max(0, hit.1) }
                for hit in lexical { scores[hit.0, default: 0] += weight * hit.1 }
                return scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
            }
        }
        let fusions: [(String, Fusion)] =
            [("RRF k=60", rrf(k: 60)), ("RRF k=10", rrf(k: 10))]
            + [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map { ("weighted w=\($0)", weighted($0)) }
        let kinds = ["all", "paraphrase", "identifier", "mixed", "typo", "short", "question"]
        var report = "recall@5 of fusion alternatives over the top 50 of each signal\n" + "fusion".padding(toLength: 18, withPad: " ", startingAt: 0)
        for kind in kinds { report += kind.padding(toLength: 12, withPad: " ", startingAt: 0) }
        report += "\n"
        var overall: [String: Double] = [:]
        for (name, fuse) in fusions {
            var figures = QualityFigures()
            for (query, lexical, semantic) in lists {
                let ranked = fuse(lexical, semantic)
                let relevant = Set(query.relevant)
                let found = ranked.prefix(5).filter(relevant.contains).count
                let first = ranked.firstIndex(where: relevant.contains).map { 1 / Double($0 + 1) } ?? 0
                figures.add(kind: query.kind, recall: Double(found) / Double(relevant.count), reciprocalRank: first)
            }
            overall[name] = figures.recallAt5("all")
            report += name.padding(toLength: 18, withPad: " ", startingAt: 0)
            for kind in kinds { report += String(format: "%.3f       ", figures.recallAt5(kind)) }
            report += "\n"
        }
        print(report)
        let chosen = overall["weighted w=\(ContextServiceConfiguration().lexicalWeight)"] ?? 0
        #expect(chosen >= (overall["RRF k=60"] ?? 1), "\(report)")
    }
}
