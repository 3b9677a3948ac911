import Foundation
import SentenceEmbedding
import Testing

/// The golden fixtures of ../shared/fixtures/minilm (copied into Fixtures/): token ids from the reference
/// tokenizer (identical to Hugging Face `tokenizers`) and float64 reference embeddings.
struct GoldenFixtures: Decodable {
    struct Case: Decodable {
        var id: String
        var text: String
        var tokenIDs: [Int32]
        var truncated: Bool
        var embedding: [Double]

        enum CodingKeys: String, CodingKey {
            case id, text, truncated, embedding
            case tokenIDs = "token_ids"
        }
    }

    struct Similarity: Decodable {
        var a: String
        var b: String
        var cosine: Double
    }

    var cases: [Case]
    var similarities: [Similarity]

    static let shared: GoldenFixtures = {
        let url = Bundle.module.url(forResource: "Fixtures/expected", withExtension: "json")!
        return try! JSONDecoder().decode(GoldenFixtures.self, from: Data(contentsOf: url))
    }()
}

/// The installed model, when there is one (scripts/fetch-model.sh; the test command always fetches it).
enum InstalledModel {
    static let directory = ModelDirectory.resolve(environment: ProcessInfo.processInfo.environment)
    static let isPresent = ModelDirectory.isComplete(directory)
    static let model: SentenceEmbeddingModel? = try? SentenceEmbeddingModel(directory: directory)
}

@Suite(
    "MiniLM against the golden fixtures",
    .enabled(if: InstalledModel.isPresent, "the model files are not installed: run scripts/fetch-model.sh")
)
struct GoldenFixtureTests {
    @Test("the tokenizer gives the reference ids", arguments: GoldenFixtures.shared.cases.map(\.id))
    func tokenizerGivesReferenceIDs(caseID: String) throws {
        let model = try #require(InstalledModel.model)
        let golden = try #require(GoldenFixtures.shared.cases.first { $0.id == caseID })
        #expect(model.tokenIDs(golden.text) == golden.tokenIDs)
    }

    @Test func fixturesCoverTruncation() {
        #expect(GoldenFixtures.shared.cases.contains { $0.truncated && $0.tokenIDs.count == 256 })
        #expect(GoldenFixtures.shared.cases.count == 51)
    }

    @Test("each embedding is within 1e-5 of the reference, one at a time", arguments: GoldenFixtures.shared.cases.map(\.id))
    func embeddingMatchesReference(caseID: String) throws {
        let model = try #require(InstalledModel.model)
        let golden = try #require(GoldenFixtures.shared.cases.first { $0.id == caseID })
        let vector = try #require(model.embed([golden.text]).first)
        #expect(vector.count == 384)
        #expect(maximumDifference(vector, golden.embedding) <= 1e-5)
    }

    @Test func batchedEmbeddingsEqualSingleOnes() throws {
        let model = try #require(InstalledModel.model)
        let cases = GoldenFixtures.shared.cases
        let vectors = model.embed(cases.map(\.text))
        #expect(vectors.count == cases.count)
        var worst = 0.0
        for (vector, golden) in zip(vectors, cases) { worst = max(worst, maximumDifference(vector, golden.embedding)) }
        #expect(worst <= 1e-5, "largest difference in a batch of \(cases.count): \(worst)")
    }

    @Test func publishedSimilaritiesAreReproduced() throws {
        let model = try #require(InstalledModel.model)
        let byID = Dictionary(uniqueKeysWithValues: GoldenFixtures.shared.cases.map { ($0.id, $0.text) })
        for pair in GoldenFixtures.shared.similarities {
            let vectors = model.embed([try #require(byID[pair.a]), try #require(byID[pair.b])])
            let cosine = zip(vectors[0], vectors[1]).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            #expect(abs(cosine - pair.cosine) <= 1e-5, "\(pair.a) / \(pair.b): \(cosine) vs \(pair.cosine)")
        }
    }
}

func maximumDifference(_ vector: [Float], _ reference: [Double]) -> Double {
    guard vector.count == reference.count else { return .infinity }
    return zip(vector, reference).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
}
