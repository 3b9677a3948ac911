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

    @Test func matchesOfOtherProjectsRankedFirstDoNotHideThisProjectsItems() async throws {
        let store = try SQLiteDocumentStore()
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        var generator = SystemRandomNumberGenerator()
        // Many items of another project rank higher (the word twice), so the index's best matches are all
        // theirs: the search must look past them.
        for index in 0..<60 {
            var pattern = Pattern(id: .make(at: date, using: &generator), project: "other", patternType: .code, name: "rollback rollback \(index)", at: date)
            pattern.template = "rollback"
            try await store.savePattern(pattern, audit: nil)
        }
        for index in 0..<3 {
            let pattern = Pattern(id: .make(at: date, using: &generator), project: "mine", patternType: .code, name: "rollback plan \(index)", at: date)
            try await store.savePattern(pattern, audit: nil)
        }
        let hits = try await store.searchLexical(.pattern, terms: ["rollback"], matchAll: true, filter: SearchFilter(scope: .only("mine")), limit: 2)
        #expect(hits.count == 2)
        let mine = try await store.patterns(ids: hits.map(\.id))
        #expect(mine.allSatisfy { $0.project == "mine" })
        let fewer = try await store.searchLexical(.pattern, terms: ["rollback"], matchAll: true, filter: SearchFilter(scope: .only("mine")), limit: 10)
        #expect(fewer.count == 3)
    }
}
