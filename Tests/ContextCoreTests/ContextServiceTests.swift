import ContextCore
import ContextTesting
import Foundation
import Testing

@Suite("ContextService over an in-memory store")
struct ContextServiceTests {
    private let store = InMemoryDocumentStore()
    private var service: ContextService {
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = "alpha"
        return ContextService(store: store, configuration: configuration)
    }

    @Test func saveCheckpointCreatesItsSession() async throws {
        var draft = CheckpointDraft(description: "Wrote the parser")
        draft.tags = ["Parser", "parser"]
        let saved = try await service.saveCheckpoint(draft)
        #expect(saved.sessionCreated)
        #expect(saved.stored == .local)
        #expect(saved.checkpoint.project == "alpha")
        #expect(saved.checkpoint.tags == ["parser"])
        let session = try await service.session(id: saved.checkpoint.sessionID, scope: .only("alpha"))
        #expect(session.title == "Wrote the parser")

        var second = CheckpointDraft(description: "Tested the parser")
        second.sessionID = saved.checkpoint.sessionID
        let next = try await service.saveCheckpoint(second)
        #expect(!next.sessionCreated)
        #expect(next.checkpoint.sessionID == saved.checkpoint.sessionID)
    }

    @Test func savedCheckpointsJoinRefuseOrCreateTheirSession() async throws {
        try await SessionRuleScenario.run(service) { store.audits.count }
    }

    @Test func namedSessionIsCreatedWhenMissing() async throws {
        let id = ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00")!
        var draft = CheckpointDraft(description: "First step")
        draft.sessionID = id
        draft.sessionTitle = "Migration"
        let saved = try await service.saveCheckpoint(draft)
        #expect(saved.sessionCreated)
        #expect(try await service.session(id: id, scope: .all).title == "Migration")
    }

    @Test func clientIDMakesSavingIdempotentAndConflictsOnDifferentContent() async throws {
        let id = ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f01")!
        var draft = CheckpointDraft(description: "Once")
        draft.id = id
        let first = try await service.saveCheckpoint(draft)
        var retry = draft
        retry.sessionID = first.checkpoint.sessionID
        let second = try await service.saveCheckpoint(retry)
        #expect(second.isDuplicate)
        #expect(second.checkpoint.id == id)
        var different = retry
        different.description = "Twice"
        await #expect(throws: ContextError.self) { try await service.saveCheckpoint(different) }
    }

    @Test func redactionHappensBeforeStorageAndIsAudited() async throws {
        var draft = CheckpointDraft(description: "Deploy with key AKIAIOSFODNN7EXAMPLE")
        draft.content = "mail ops@example.com"
        draft.privacyLevel = .public
        let saved = try await service.saveCheckpoint(draft)
        let stored = try await service.checkpoint(id: saved.checkpoint.id, scope: .all)
        #expect(!stored.description.contains("AKIA"))
        #expect(stored.content == "mail [REDACTED:email]")
        let audit = try #require(store.audits.first { $0.itemID == saved.checkpoint.id })
        #expect(audit.detected == ["aws-access-key": 1, "email": 1])
    }

    @Test func ephemeralIsNeverStored() async throws {
        var draft = CheckpointDraft(description: "secret scratch work")
        draft.privacyLevel = .ephemeral
        let saved = try await service.saveCheckpoint(draft)
        #expect(saved.stored == .none)
        await #expect(throws: ContextError.self) { try await service.checkpoint(id: saved.checkpoint.id, scope: .all) }
        #expect(store.audits.isEmpty)
    }

    @Test func readsStayInTheirProject() async throws {
        var draft = CheckpointDraft(description: "beta work")
        draft.project = "beta"
        let saved = try await service.saveCheckpoint(draft)
        await #expect(throws: ContextError.self) { try await service.checkpoint(id: saved.checkpoint.id, scope: .only("alpha")) }
        #expect(try await service.checkpoint(id: saved.checkpoint.id, scope: .all).project == "beta")
        let page = try await service.checkpoints(CheckpointQuery(filter: ListFilter(scope: .only("alpha"))))
        #expect(page.items.isEmpty)
    }

    @Test func similarPatternsMerge() async throws {
        var draft = PatternDraft(patternType: .code, name: "Retry with exponential backoff")
        draft.template = "retry the call with exponential backoff and jitter"
        draft.confidence = 0.4
        let first = try await service.savePattern(draft)
        #expect(first.action == .created)
        draft.confidence = 0.8
        let second = try await service.savePattern(draft)
        #expect(second.action == .merged)
        #expect(second.pattern.id == first.pattern.id)
        #expect(second.pattern.frequency == 2)
        #expect(abs(second.pattern.confidence - 0.6) < 1e-9)
        #expect(second.pattern.lastUsedAt != nil)
        var other = PatternDraft(patternType: .code, name: "Cache database reads")
        other.template = "memoize query results for a minute"
        #expect(try await service.savePattern(other).action == .created)
        var otherType = draft
        otherType.patternType = .workflow
        #expect(try await service.savePattern(otherType).action == .created)
    }

    @Test func similarityIsJaccardOfTerms() {
        #expect(PatternSimilarity.jaccard(["a", "b"], ["a", "b"]) == 1)
        #expect(PatternSimilarity.jaccard(["a", "b"], ["b", "c"]) == 1.0 / 3.0)
        #expect(PatternSimilarity.jaccard(["a"], ["b"]) == 0)
    }

    @Test(
        "invalid input names the field",
        arguments: [
            ("confidence", 1.5), ("qualityScore", -0.1), ("successRate", 2.0),
        ]
    )
    func outOfRangeIsRejected(field: String, value: Double) async throws {
        var draft = PatternDraft(patternType: .error, name: "x")
        switch field {
        case "confidence": draft.confidence = value
        case "qualityScore": draft.qualityScore = value
        default: draft.successRate = value
        }
        do {
            _ = try await service.savePattern(draft)
            Issue.record("accepted \(field) = \(value)")
        } catch {
            #expect(error.field == field)
            #expect(error.code == .invalidInput)
        }
    }

    @Test func lexicalSearchRanksAndSemanticNeedsTheModel() async throws {
        _ = try await service.saveCheckpoint(CheckpointDraft(description: "Configured nginx reverse proxy"))
        _ = try await service.saveCheckpoint(CheckpointDraft(description: "Tuned postgres indexes"))
        let results = try await service.search(SearchRequest(query: "nginx proxy", kinds: [.checkpoint], scope: .all, limit: 10))
        #expect(results.hits.count == 1)
        #expect(results.mode == .lexical)
        var semantic = SearchRequest(query: "nginx", kinds: [.checkpoint], scope: .all, limit: 10)
        semantic.mode = .semantic
        do {
            _ = try await service.search(semantic)
            Issue.record("semantic search without a model succeeded")
        } catch {
            #expect(error.code == .unsupported)
            #expect(error.field == "mode")
        }
    }

    @Test func loadContextStaysUnderBudgetAndIsRecorded() async throws {
        for index in 0..<30 {
            var draft = CheckpointDraft(description: "Deploy step \(index) for the billing service")
            draft.content = String(repeating: "billing deploy details ", count: 40)
            _ = try await service.saveCheckpoint(draft)
        }
        let loaded = try await service.loadContext(ContextRequest(query: "billing deploy", scope: .all, sessionID: nil, tokenBudget: 600))
        #expect(loaded.tokensUsed <= 600)
        #expect(!loaded.items.isEmpty)
        #expect(ContextService.estimatedTokens(loaded.text) == loaded.tokensUsed)
        #expect(store.contextLoads.count == 1)
        await #expect(throws: ContextError.self) {
            try await service.loadContext(ContextRequest(query: nil, scope: .all, sessionID: nil, tokenBudget: 10))
        }
    }

    @Test func idsAreTimeOrderedUUIDv7() {
        var generator = SystemRandomNumberGenerator()
        let earlier = ItemID.make(at: Date(timeIntervalSince1970: 1_700_000_000), using: &generator)
        let later = ItemID.make(at: Date(timeIntervalSince1970: 1_700_000_001), using: &generator)
        #expect(earlier < later)
        #expect(earlier.description.count == 36)
        #expect(Array(earlier.description)[14] == "7")
    }
}
