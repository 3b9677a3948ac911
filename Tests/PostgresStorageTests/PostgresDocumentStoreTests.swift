import ContextCore
import ContextTesting
import Foundation
import PostgresStorage
import Testing

/// The behaviours the SQLite store's tests check, on PostgreSQL, through the services as a client would
/// drive them.
@Suite("PostgresDocumentStore", .postgresServer)
struct PostgresDocumentStoreTests {
    private let service = PostgresTestDatabase.service

    @Test func itemsRoundTripExactly() async throws {
        try await PostgresTestDatabase.withStore { store in
            // Times as the services make them: whole milliseconds.
            func at(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
            let date = at(1_767_225_600_123)
            var session = Session(
                id: ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f10")!, project: "alpha", title: "Round trip",
                privacyLevel: .private, at: date)
            session.description = "all the fields"
            session.contextSummary = "summary"
            session.status = .archived
            session.sessionType = "debugging"
            session.decisions = ["use PostgreSQL", "keep SQLite local"]
            session.durationMinutes = 42
            session.messagesCount = 7
            session.filesChanged = 3
            session.piiDetected = true
            session.piiRedacted = true
            session.tags = ["beta", "alpha"]
            session.updatedAt = at(1_767_225_660_123)
            session.accessedAt = at(1_767_225_600_124)
            session.archivedAt = at(1_767_225_721_122)
            try await store.saveSession(session, audit: nil)
            var expected = session
            expected.tags = ["alpha", "beta"]
            #expect(try await store.session(id: session.id, touch: nil) == expected)

            var checkpoint = Checkpoint(
                id: ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f11")!, sessionID: session.id, project: "alpha",
                description: "cp", at: date)
            checkpoint.content = "# Notes\n\nwith **markdown**"
            checkpoint.checkpointPath = "notes/cp.md"
            checkpoint.gitCommit = "abc1234"
            checkpoint.gitBranch = "main"
            checkpoint.tags = ["x", "y"]
            checkpoint.privacyLevel = .public
            guard case .inserted = try await store.saveCheckpoint(checkpoint, creating: nil, audits: []) else {
                Issue.record("not inserted")
                return
            }
            #expect(try await store.checkpoint(id: checkpoint.id, touch: nil) == checkpoint)
            guard case .existing(let again) = try await store.saveCheckpoint(checkpoint, creating: nil, audits: [])
            else {
                Issue.record("saved the same id twice")
                return
            }
            #expect(again == checkpoint)

            var pattern = Pattern(
                id: ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f12")!, project: "alpha", patternType: .error, name: "Fix",
                at: date)
            pattern.description = "d"
            pattern.template = "t"
            pattern.confidence = 0.75
            pattern.qualityScore = 0.5
            pattern.successRate = 1
            pattern.frequency = 3
            pattern.reuseCount = 2
            pattern.sourceSessionID = session.id
            pattern.version = 2
            pattern.isLatest = false
            pattern.deprecated = true
            pattern.privacyLevel = .private
            pattern.tags = ["fix"]
            pattern.lastUsedAt = date
            try await store.savePattern(pattern, audit: nil)
            #expect(try await store.pattern(id: pattern.id, touch: nil) == pattern)
            #expect(try await store.patterns(ids: [pattern.id, session.id]).map(\.id) == [pattern.id])
        }
    }

    @Test func jsonFieldsAreStoredAsJSONB() async throws {
        try await PostgresTestDatabase.withStore { store in
            var draft = SessionDraft(title: "JSON")
            draft.metadataJSON = #"{"b": [1, 2], "a": "x"}"#
            let saved = try await service(store, "alpha", nil).createSession(draft).session
            let read = try #require(try await store.session(id: saved.id, touch: nil))
            let metadata = try JSONSerialization.jsonObject(with: Data((read.metadataJSON ?? "").utf8)) as? NSDictionary
            #expect(metadata == ["a": "x", "b": [1, 2]])
            #expect(
                try await store.fetchStrings(unsafeSQL: "SELECT jsonb_typeof(metadata) FROM sessions") == ["object"])
        }
    }

    @Test func fullTextIndexFollowsUpdates() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = service(store, "alpha", nil)
            let saved = try await service.createSession(SessionDraft(title: "Investigate flaky websocket test"))
            var search = SearchRequest(query: "websocket", kinds: [.session], scope: .all, limit: 10)
            #expect(try await service.search(search).hits.count == 1)
            var changes = SessionChanges()
            changes.title = "Investigate slow database"
            _ = try await service.updateSession(id: saved.session.id, changes: changes, scope: .all)
            #expect(try await service.search(search).hits.isEmpty)
            search.query = "database"
            #expect(try await service.search(search).hits.count == 1)
        }
    }

    @Test func anyWordSearchLeavesOutWordsThatThousandsOfItemsHold() async throws {
        try await PostgresTestDatabase.withStore { store in
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            for index in 0..<600 {
                let pattern = Pattern(
                    id: ItemID(UUID()), project: "alpha", patternType: .workflow, name: "common step \(index)", at: start)
                try await store.savePattern(pattern, audit: nil)
            }
            let zebra = Pattern(id: ItemID(UUID()), project: "alpha", patternType: .workflow, name: "common zebra crossing", at: start)
            try await store.savePattern(zebra, audit: nil)
            _ = try await store.fetchStrings(unsafeSQL: "ANALYZE patterns")
            let counts = try await store.termStatistics(.pattern).counts
            #expect((counts["common"] ?? 0) > 500)
            #expect(PostgresDocumentStore.discriminatingTerms(["common", "zebra"], counts: counts) == ["zebra"])
            #expect(PostgresDocumentStore.discriminatingTerms(["common", "step"], counts: ["common": 601, "step": 600]) == ["step"])
            // "common" alone would select 601 candidates; the rare word selects the one that matters.
            let hits = try await store.searchLexical(
                .pattern, terms: ["common", "zebra"], matchAll: false, filter: SearchFilter(scope: .only("alpha")), limit: 10)
            #expect(hits.map(\.id) == [zebra.id])
        }
    }

    @Test func anAllWordsQueryThatThousandsOfItemsMatchRanksTheNewest() async throws {
        try await PostgresTestDatabase.withStore { store in
            // 3,000 patterns a second apart: the oldest 2,400 hold "amber basalt", the newest 600 "cobalt". The
            // statistics expect about 1,900 items to hold both words, so the newest rows expected to hold about
            // 500 of them are ranked (the newest 800 or so rows: about 180 matches).
            _ = try await store.fetchStrings(
                unsafeSQL: """
                    INSERT INTO patterns (project, pattern_type, name, created_at, updated_at)
                    SELECT 'alpha', 'workflow',
                           CASE WHEN n <= 2400 THEN 'amber basalt ' || n ELSE 'cobalt ' || n END,
                           timestamptz '2027-01-15 00:00:00+00' + n * interval '1 second',
                           timestamptz '2027-01-15 00:00:00+00' + n * interval '1 second'
                    FROM generate_series(1, 3000) AS n
                    """)
            _ = try await store.fetchStrings(unsafeSQL: "ANALYZE patterns")
            let statistics = try await store.termStatistics(.pattern)
            #expect(statistics.items == 3000)
            let expected = statistics.expectedMatches(["amber", "basalt"])
            #expect(expected > 1500 && expected < 2500)
            let window = try #require(statistics.window(for: ["amber", "basalt"], ranking: PostgresDocumentStore.rankedWindow))
            #expect(window > 600 && window < 1000)
            #expect(statistics.window(for: ["amber"], ranking: 500) != nil)
            #expect(statistics.window(for: ["cobalt"], ranking: 500) == nil)  // about 600 hold it: every one is ranked
            #expect(statistics.window(for: ["amber", "unlisted"], ranking: 500) == nil)

            let filter = SearchFilter(scope: .only("alpha"))
            func names(_ hits: [LexicalHit]) async throws -> [String] {
                try await store.patterns(ids: hits.map(\.id)).map(\.name)
            }
            // All hits tie: by id, among the newest rows only.
            let newest = try await names(store.searchLexical(.pattern, terms: ["amber", "basalt"], matchAll: true, filter: filter, limit: 50))
            #expect(newest.count == 50)
            #expect(newest.allSatisfy { Int($0.split(separator: " ").last ?? "") ?? 0 >= 3000 - window })
            // More hits asked for than the window holds (about 180): every match is ranked.
            let all = try await store.searchLexical(.pattern, terms: ["amber", "basalt"], matchAll: true, filter: filter, limit: 1000)
            #expect(all.count == 1000)
        }
    }

    @Test func cursorsStayCorrectWhileRowsAreInserted() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = service(store, "alpha", nil)
            for index in 0..<25 { _ = try await service.createSession(SessionDraft(title: "session \(index)")) }
            var query = SessionQuery(filter: ListFilter(scope: .all))
            query.filter.limit = 10
            let first = try await service.sessions(query)
            #expect(first.items.count == 10)
            for index in 0..<5 { _ = try await service.createSession(SessionDraft(title: "late \(index)")) }
            var seen = Set(first.items.map(\.id))
            var cursor = first.nextCursor
            while let next = cursor {
                query.filter.cursor = next
                let page = try await service.sessions(query)
                for session in page.items { #expect(seen.insert(session.id).inserted, "duplicate across pages") }
                cursor = page.nextCursor
            }
            #expect(seen.count == 25)
            query.filter.cursor = "garbage!"
            await #expect(throws: ContextError.self) { try await service.sessions(query) }
        }
    }

    @Test func listingsFilterByProjectTagsTimeAndKind() async throws {
        try await PostgresTestDatabase.withStore { store in
            let alpha = service(store, "alpha", nil)
            let beta = service(store, "beta", nil)
            var tagged = SessionDraft(title: "tagged")
            tagged.tags = ["db", "perf"]
            _ = try await alpha.createSession(tagged)
            var onlyOne = SessionDraft(title: "one tag")
            onlyOne.tags = ["db"]
            _ = try await alpha.createSession(onlyOne)
            _ = try await beta.createSession(SessionDraft(title: "other project"))
            var query = SessionQuery(filter: ListFilter(scope: .only("alpha")))
            #expect(try await alpha.sessions(query).items.count == 2)
            query.filter.tags = ["db", "perf"]
            #expect(try await alpha.sessions(query).items.map(\.title) == ["tagged"])
            #expect(try await alpha.sessions(SessionQuery(filter: ListFilter(scope: .all))).items.count == 3)
            var future = SessionQuery(filter: ListFilter(scope: .all))
            future.filter.since = Date().addingTimeInterval(3600)
            #expect(try await alpha.sessions(future).items.isEmpty)

            var draft = CheckpointDraft(description: "on a branch")
            draft.gitBranch = "feature/x"
            draft.tags = ["wip", "db"]
            let saved = try await alpha.saveCheckpoint(draft)
            _ = try await alpha.saveCheckpoint(CheckpointDraft(description: "elsewhere"))
            var checkpoints = CheckpointQuery(filter: ListFilter(scope: .only("alpha")))
            checkpoints.filter.tags = ["db", "wip"]
            #expect(try await alpha.checkpoints(checkpoints).items.map(\.id) == [saved.checkpoint.id])
            checkpoints.filter.tags = []
            checkpoints.gitBranch = "feature/x"
            #expect(try await alpha.checkpoints(checkpoints).items.count == 1)
            checkpoints.gitBranch = nil
            checkpoints.sessionID = saved.checkpoint.sessionID
            #expect(try await alpha.checkpoints(checkpoints).items.count == 1)

            _ = try await alpha.savePattern(PatternDraft(patternType: .code, name: "Use guard let early"))
            _ = try await alpha.savePattern(PatternDraft(patternType: .error, name: "Handle EPIPE on stdout"))
            #expect(
                try await alpha.patterns(PatternQuery(filter: ListFilter(scope: .all), patternType: .error)).items.count
                    == 1)
            #expect(try await alpha.patterns(PatternQuery(filter: ListFilter(scope: .all))).items.count == 2)
        }
    }

    @Test func admittedJudgesSearchFiltersByTheRows() async throws {
        try await PostgresTestDatabase.withStore { store in
            let alpha = service(store, "alpha", nil)
            let beta = service(store, "beta", nil)
            let first = try await alpha.saveCheckpoint(CheckpointDraft(description: "first session's"))
            let second = try await alpha.saveCheckpoint(CheckpointDraft(description: "second session's"))
            let elsewhere = try await beta.saveCheckpoint(CheckpointDraft(description: "beta's"))
            let code = try await alpha.savePattern(PatternDraft(patternType: .code, name: "Use guard let early")).pattern.id
            let error = try await alpha.savePattern(PatternDraft(patternType: .error, name: "Handle EPIPE")).pattern.id
            let betaCode = try await beta.savePattern(PatternDraft(patternType: .code, name: "Beta code")).pattern.id
            let missing = ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f99")!
            let sessions = [first.checkpoint.sessionID, second.checkpoint.sessionID, elsewhere.checkpoint.sessionID, missing]
            let checkpoints = [first.checkpoint.id, second.checkpoint.id, elsewhere.checkpoint.id, missing]
            let patterns = [code, error, betaCode, missing]

            #expect(try await store.admitted(.session, ids: sessions, filter: SearchFilter(scope: .all)) == Set(sessions.dropLast()))
            #expect(
                try await store.admitted(.session, ids: sessions, filter: SearchFilter(scope: .only("alpha")))
                    == [first.checkpoint.sessionID, second.checkpoint.sessionID])
            // Only checkpoints have a session, only patterns a type: other kinds pass no such filter.
            #expect(
                try await store.admitted(.session, ids: sessions, filter: SearchFilter(scope: .all, sessionID: sessions[0])).isEmpty)
            #expect(
                try await store.admitted(.checkpoint, ids: checkpoints, filter: SearchFilter(scope: .all, patternType: .code)).isEmpty)
            #expect(
                try await store.admitted(.pattern, ids: patterns, filter: SearchFilter(scope: .all, sessionID: sessions[0])).isEmpty)
            #expect(
                try await store.admitted(.checkpoint, ids: checkpoints, filter: SearchFilter(scope: .only("alpha")))
                    == [first.checkpoint.id, second.checkpoint.id])
            #expect(
                try await store.admitted(
                    .checkpoint, ids: checkpoints, filter: SearchFilter(scope: .only("alpha"), sessionID: second.checkpoint.sessionID))
                    == [second.checkpoint.id])
            #expect(
                try await store.admitted(.pattern, ids: patterns, filter: SearchFilter(scope: .all, patternType: .code)) == [code, betaCode])
            #expect(
                try await store.admitted(.pattern, ids: patterns, filter: SearchFilter(scope: .only("beta"), patternType: .code)) == [betaCode])
            #expect(try await store.admitted(.pattern, ids: [], filter: SearchFilter(scope: .all)).isEmpty)
        }
    }

    @Test func softDeleteHidesFromListsButKeepsTheRow() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = service(store, "alpha", nil)
            let session = try await service.createSession(SessionDraft(title: "to delete")).session
            _ = try await service.deleteSession(id: session.id, purge: false, scope: .all)
            #expect(try await service.sessions(SessionQuery(filter: ListFilter(scope: .all))).items.isEmpty)
            #expect(
                try await service.sessions(SessionQuery(filter: ListFilter(scope: .all), status: .deleted)).items.count
                    == 1)
        }
    }

    @Test func purgeErasesTheSessionAndItsTraces() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = service(store, "alpha", HashingEmbedder())
            var draft = CheckpointDraft(description: "Zanzibar-unique-marker in the description")
            draft.content = "more Zanzibar-unique-marker text, mail me at someone@example.com"
            draft.tags = ["purge-me"]
            draft.privacyLevel = .public
            let saved = try await service.saveCheckpoint(draft)
            let sessionID = saved.checkpoint.sessionID
            _ = try await service.loadContext(
                ContextRequest(query: "Zanzibar", scope: .all, sessionID: sessionID, tokenBudget: 500))
            #expect(try await store.fetchStrings(unsafeSQL: "SELECT count(*)::text FROM embedding_status") == ["2"])
            #expect(
                try await store.fetchStrings(
                    unsafeSQL: "SELECT count(*)::text FROM privacy_audit WHERE detected <> '{}'") != ["0"])

            #expect(try await store.purgeSession(id: sessionID))
            #expect(try await store.fetchStrings(unsafeSQL: "SELECT id::text FROM checkpoints").isEmpty)
            #expect(try await store.fetchStrings(unsafeSQL: "SELECT id::text FROM sessions").isEmpty)
            #expect(try await store.fetchStrings(unsafeSQL: "SELECT session_id::text FROM session_tags").isEmpty)
            #expect(try await store.fetchStrings(unsafeSQL: "SELECT item_id::text FROM embedding_status").isEmpty)
            #expect(
                try await store.fetchStrings(
                    unsafeSQL: "SELECT item_id::text FROM privacy_audit WHERE item_id IS NOT NULL"
                ).isEmpty)
            #expect(
                try await store.fetchStrings(
                    unsafeSQL:
                        "SELECT count(*)::text FROM privacy_audit WHERE anonymized AND detected = '{}' AND redacted = '{}'"
                )
                    != ["0"]
            )
            #expect(
                try await store.fetchStrings(
                    unsafeSQL: "SELECT query || '|' || coalesce(session_id::text, '') FROM context_loads") == ["|"])
            #expect(try await store.purgeSession(id: sessionID) == false)
        }
    }

    @Test func contextLoadsAreRecordedAndPatternsMarkedUsed() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = service(store, "alpha", nil)
            var draft = PatternDraft(patternType: .workflow, name: "Release checklist")
            draft.template = "tag, build, publish release notes"
            let pattern = try await service.savePattern(draft).pattern
            let loaded = try await service.loadContext(
                ContextRequest(query: "release", scope: .all, sessionID: nil, tokenBudget: 500))
            #expect(loaded.items.count == 1)
            #expect(try await store.fetchStrings(unsafeSQL: "SELECT count(*)::text FROM context_loads") == ["1"])
            let reloaded = try await service.pattern(id: pattern.id, scope: .all)
            #expect(reloaded.reuseCount == 1)
            #expect(reloaded.lastUsedAt != nil)
        }
    }

    @Test func readsWithTouchUpdateAccessTimes() async throws {
        try await PostgresTestDatabase.withStore { store in
            let service = service(store, "alpha", nil)
            let saved = try await service.saveCheckpoint(CheckpointDraft(description: "touch me"))
            let when = Date(timeIntervalSince1970: 1_800_000_000.5)
            #expect(try await store.session(id: saved.checkpoint.sessionID, touch: when)?.accessedAt == when)
            _ = try await store.checkpoint(id: saved.checkpoint.id, touch: when)
            #expect(
                try await store.fetchStrings(unsafeSQL: "SELECT (accessed_at IS NOT NULL)::text FROM checkpoints") == [
                    "true"
                ])
        }
    }
}
