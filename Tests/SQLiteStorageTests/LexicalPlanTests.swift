import ContextCore
import Foundation
import Testing

@testable import SQLiteStorage

@Suite("lexical query plan")
struct LexicalPlanTests {
    @Test func wordsInMoreThanHalfTheItemsAreLeftOutWhenRarerOnesRemain() {
        let counts = ["the": 900, "deploy": 40, "rollback": 12]
        let plan = LexicalPlan(terms: ["the", "deploy", "rollback"], counts: counts, items: 1_000, matchAll: true)
        #expect(plan.terms.sorted() == ["deploy", "rollback"])
        #expect(abs(plan.expectedMatches - 1_000 * 0.04 * 0.012) < 1e-9)
        #expect(plan.firstRanked(window: 500) == nil)
    }

    @Test func theRarestWordStandsForAQueryOfCommonWordsOnly() {
        let plan = LexicalPlan(terms: ["the", "and"], counts: ["the": 900, "and": 700], items: 1_000, matchAll: true)
        #expect(plan.terms == ["and"])
    }

    @Test func aWordNoItemHoldsMatchesNothingWhenAllAreRequired() {
        let plan = LexicalPlan(terms: ["deploy", "zzyzx"], counts: ["deploy": 40], items: 1_000, matchAll: true)
        #expect(plan.terms.isEmpty)
    }

    @Test func onlyTheNewestRowsAreRankedWhenFarMoreItemsMatch() throws {
        let plan = LexicalPlan(terms: ["build", "test"], counts: ["build": 40_000, "test": 30_000], items: 100_000, matchAll: true)
        #expect(abs(plan.expectedMatches - 12_000) < 1e-6)
        // 500 of 12,000 expected matches: the newest 1/24 of the rows.
        let first = try #require(plan.firstRanked(window: 500))
        #expect(first == Int64(100_000.0 * (1 - 500.0 / 12_000.0)))
    }

    @Test func anyOfLeavesOutWordsInManyItems() {
        let counts = ["error": 5_000, "timeout": 30]
        let plan = LexicalPlan(terms: ["error", "timeout"], counts: counts, items: 10_000, matchAll: false)
        #expect(plan.terms == ["timeout"])
    }

    @Test func aSearchWithAVeryCommonWordStillFindsItsItems() async throws {
        let store = try SQLiteDocumentStore()
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = "alpha"
        let service = ContextService(store: store, configuration: configuration)
        for index in 0..<40 {
            _ = try await service.savePattern(PatternDraft(patternType: .code, name: "common word item \(index) number\(index)"))
        }
        var request = SearchRequest(query: "common number7", kinds: [.pattern], scope: .only("alpha"), limit: 5)
        request.mode = .lexical
        let hits = try await service.search(request).hits
        #expect(hits.count == 1)
        guard case .pattern(let pattern)? = hits.first?.item else { Issue.record("no pattern hit"); return }
        #expect(pattern.name == "common word item 7 number7")
    }
}
