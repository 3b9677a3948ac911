import ContextCore
import ContextTesting
import Foundation
import SQLiteStorage
import Testing

@Suite("SQLiteDocumentStore")
struct SQLiteDocumentStoreTests {
    private func temporaryPath() -> String {
        ServerProcess.makeTemporaryHome() + "/data/memctx.db"
    }

    private func service(_ store: SQLiteDocumentStore, project: String = "alpha") -> ContextService {
        var configuration = ContextServiceConfiguration()
        configuration.defaultProject = project
        return ContextService(store: store, configuration: configuration)
    }

    @Test func schemaHasTheTablesMigrationsAndFileModes() async throws {
        let path = temporaryPath()
        let store = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: path))
        let tables = Set(try await store.fetchStrings("SELECT name FROM sqlite_master WHERE type IN ('table')"))
        for table in [
            "sessions", "checkpoints", "patterns", "tags", "session_tags", "pattern_tags", "context_loads",
            "privacy_audit", "db_metadata", "embeddings", "outbox", "sync_state", "sessions_fts", "checkpoints_fts",
            "patterns_fts", "cached_items",
        ] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        #expect(try await store.schemaVersion() == "v3")
        #expect(try await store.appliedMigrations() == ["v1", "v2", "v3"])
        #expect(try await store.fetchStrings("PRAGMA journal_mode") == ["wal"])
        #expect(try await store.fetchStrings("PRAGMA foreign_keys") == ["1"])
        let fileMode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        let folder = (path as NSString).deletingLastPathComponent
        let folderMode = try FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int
        #expect(folderMode == 0o700)
        // Reopening migrates nothing twice.
        let reopened = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: path))
        #expect(try await reopened.appliedMigrations() == ["v1", "v2", "v3"])
    }

    @Test func checkConstraintsGuardTheData() async throws {
        let store = try SQLiteDocumentStore()
        var pattern = Pattern(id: ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00")!, project: "p", patternType: .code, name: "n", at: Date())
        pattern.confidence = 1.5
        await #expect(throws: (any Error).self) { try await store.savePattern(pattern, audit: nil) }
    }

    @Test func fullTextIndexFollowsUpdates() async throws {
        let store = try SQLiteDocumentStore()
        let service = service(store)
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

    @Test func cursorsStayCorrectWhileRowsAreInserted() async throws {
        let store = try SQLiteDocumentStore()
        let service = service(store)
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

    @Test func purgeErasesTheSessionAndItsTraces() async throws {
        let path = temporaryPath()
        let store = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: path))
        let service = service(store)
        var draft = CheckpointDraft(description: "Zanzibar-unique-marker in the description")
        draft.content = "more Zanzibar-unique-marker text"
        draft.tags = ["purge-me"]
        let saved = try await service.saveCheckpoint(draft)
        _ = try await service.deleteSession(id: saved.checkpoint.sessionID, purge: true, scope: .all)
        #expect(try await store.fetchStrings("SELECT id FROM checkpoints").isEmpty)
        #expect(try await store.fetchStrings("SELECT id FROM sessions").isEmpty)
        #expect(try await store.fetchStrings("SELECT item_id FROM privacy_audit WHERE item_id IS NOT NULL").isEmpty)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data()
        #expect(bytes.range(of: Data("Zanzibar".utf8)) == nil, "purged text found in the database file")
        #expect(wal.range(of: Data("Zanzibar".utf8)) == nil, "purged text found in the WAL")
    }

    @Test func savedCheckpointsJoinRefuseOrCreateTheirSessionInTheWrite() async throws {
        let store = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: temporaryPath()))
        try await SessionRuleScenario.run(service(store)) {
            Int(try await store.fetchStrings("SELECT count(*) FROM privacy_audit").first ?? "") ?? -1
        }
    }

    @Test func softDeleteHidesFromListsButKeepsTheRow() async throws {
        let store = try SQLiteDocumentStore()
        let service = service(store)
        let session = try await service.createSession(SessionDraft(title: "to delete")).session
        _ = try await service.deleteSession(id: session.id, purge: false, scope: .all)
        #expect(try await service.sessions(SessionQuery(filter: ListFilter(scope: .all))).items.isEmpty)
        #expect(try await service.sessions(SessionQuery(filter: ListFilter(scope: .all), status: .deleted)).items.count == 1)
    }

    @Test func contextLoadsAreRecordedAndPatternsMarkedUsed() async throws {
        let store = try SQLiteDocumentStore()
        let service = service(store)
        var draft = PatternDraft(patternType: .workflow, name: "Release checklist")
        draft.template = "tag, build, publish release notes"
        let pattern = try await service.savePattern(draft).pattern
        let loaded = try await service.loadContext(ContextRequest(query: "release", scope: .all, sessionID: nil, tokenBudget: 500))
        #expect(loaded.items.count == 1)
        #expect(try await store.fetchStrings("SELECT COUNT(*) FROM context_loads") == ["1"])
        let reloaded = try await service.pattern(id: pattern.id, scope: .all)
        #expect(reloaded.reuseCount == 1)
    }
}
