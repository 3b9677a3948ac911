import ContextTesting
import Foundation
import JSONRPC
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `memctx migrate`, `export`, `import`, `purge` and the `exportRecords` / `importRecords` methods, through
/// the binary. In the central run (MEMCTX_E2E_CENTRAL=1) they work on real PostgreSQL and ChromaDB, and the
/// erasure test looks into both.
@Suite("migrate, export, import and purge through the binary", .serialized)
struct MigrationEndToEndTests {
    private let home = ServerProcess.makeTemporaryHome()

    /// Every child runs off the concurrency pool (`offThePool`): a migration takes a minute in a debug build.
    private func run(_ arguments: [String], home: String? = nil, stdin: String? = nil) async throws -> CommandRun {
        let environment = ["MEMCTX_HOME": home ?? self.home, "MEMCTX_PROJECT": "e2e"]
        return try await offThePool { try CommandRun.run(arguments, stdin: stdin, environment: environment) }
    }

    private func call(_ method: String, _ params: String, home: String? = nil) async throws -> JSONValue {
        let result = try await run(["call", method, "--params", params], home: home)
        #expect(result.status == 0, "\(method): \(result.stderr)")
        return try JSONValue.parse(result.stdout)
    }

    private func digest(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    @Test func migrateValidatesEmbedsAndASecondRunChangesNothing() async throws {
        let source = home + "/memory-context.db"
        let summary = try await offThePool { try LegacyFixture.make(at: source, ["--sessions", "300", "--malformed"]) }
        let original = try digest(source)

        let dry = try await run(["migrate", "--from", source, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        let dryReport = try JSONValue.parse(dry.stdout)
        #expect(dryReport["dryRun"] == true)
        #expect(try await call("listSessions", #"{"project":"*"}"#)["sessions"]?.arrayValue?.isEmpty == true, "a dry run wrote")

        let migrated = try await run(["migrate", "--from", source])
        #expect(migrated.status == 0, "\(migrated.stdout)\n\(migrated.stderr)")
        let report = try JSONValue.parse(migrated.stdout)
        #expect(report["ok"] == true)
        #expect(report["source"]?["targetKind"]?.stringValue == (ChildEnvironment.isCentral ? "central" : "local"))
        #expect(report["checksum"]?["match"] == true)
        #expect(report["foreignKeys"]?["broken"]?.arrayValue?.isEmpty == true)
        let tables = report["tables"]?.arrayValue ?? []
        for (table, count) in summary.expected {
            let row = tables.first { $0["table"]?.stringValue == table }
            #expect(row?["target"] == .int(Int64(count)), "\(table): \(String(describing: row))")
            #expect(row?["match"] == true, "\(table)")
        }
        let skipped = report["skipped"]?.arrayValue ?? []
        for (table, count) in summary.skipped {
            #expect(skipped.filter { $0["kind"]?.stringValue == table }.count == count, "\(table)")
            #expect(skipped.allSatisfy { $0["reason"]?.stringValue?.isEmpty == false })
        }
        // Embeddings for every session, checkpoint and pattern, in batches with progress on stderr.
        let sessions = summary.expected["sessions"]! + summary.createdSessions
        #expect(report["embeddings"]?["generated"]?["session"] == .int(Int64(sessions)), "\(migrated.stderr.suffix(600))")
        #expect(report["embeddings"]?["generated"]?["checkpoint"] == .int(Int64(summary.expected["checkpoints"]!)))
        #expect(report["embeddings"]?["generated"]?["pattern"] == .int(Int64(summary.expected["patterns"]!)))
        #expect(report["embeddings"]?["missing"]?["checkpoint"] == 0)
        #expect(migrated.stderr.contains("embedding checkpoints") && migrated.stderr.contains("items/s") && migrated.stderr.contains("ETA"))
        #expect(migrated.stderr.contains("result: ok"))
        #expect(try digest(source) == original, "the source was written")
        let backup = try #require(report["source"]?["backup"]?.stringValue)
        #expect(FileManager.default.fileExists(atPath: backup))

        // What was migrated is found, in the right project, without its secrets.
        let found = try await call("searchPatterns", #"{"query":"rollback deploy cache","project":"*","mode":"semantic","limit":3}"#)
        #expect(found["hits"]?.arrayValue?.isEmpty == false)
        #expect(found["source"]?.stringValue == (ChildEnvironment.isCentral ? "central" : "local"))
        let listed = try await call("listSessions", #"{"project":"legacy-app","limit":100}"#)
        #expect(listed["sessions"]?.arrayValue?.isEmpty == false)
        let everything = try await run(["export"])
        for secret in summary.secrets { #expect(!everything.stdout.contains(secret), "secret \(secret) was kept") }

        let again = try await run(["migrate", "--from", source])
        #expect(again.status == 0, "\(again.stderr)")
        let second = try JSONValue.parse(again.stdout)
        #expect(second["ok"] == true)
        #expect(second["alreadyPresent"]?["sessions"] == .int(Int64(sessions)))
        let inserted = second["inserted"]?.objectValue ?? [:]
        #expect(inserted.values.allSatisfy { $0 == 0 }, "\(inserted)")
        #expect(second["embeddings"]?["generated"]?["checkpoint"] == 0)
    }

    @Test func whatIsNotALegacyDatabaseIsRefused() async throws {
        let notes = home + "/notes.txt"
        try Data(String(repeating: "not a database\n", count: 10).utf8).write(to: URL(fileURLWithPath: notes))
        let refused = try await run(["migrate", "--from", notes])
        #expect(refused.status != 0)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("not a SQLite database"), "\(refused.stderr)")
        let missing = try await run(["migrate", "--from", home + "/nothing.db"])
        #expect(missing.status != 0 && missing.stderr.contains("no file at"))
    }

    /// Items of every kind, with tags, JSON fields, a merge and a context load.
    private func populate(home: String) async throws {
        _ = try await call("createSession", #"{"title":"Export me","description":"with fields","tags":["auth"],"metadata":{"b":2,"a":[1,2]},"decisions":["JWT"]}"#, home: home)
        _ = try await call("saveCheckpoint", #"{"description":"Form done","content":"Done:\n- form","tags":["ui"],"gitCommit":"0123abcd","gitBranch":"main"}"#, home: home)
        for _ in 0..<2 {
            _ = try await call("savePattern", #"{"patternType":"workflow","name":"Release checklist","template":"tag, build, publish","tags":["release"],"confidence":0.8}"#, home: home)
        }
        _ = try await call("loadContext", #"{"query":"release checklist","tokenBudget":500}"#, home: home)
    }

    private func records(_ export: String) -> [Substring] {
        export.split(separator: "\n").filter { !$0.contains(#""type":"header""#) && !$0.contains(#""type":"end""#) }
    }

    @Test func exportThenImportIsExactAndImportingTwiceChangesNothing() async throws {
        try await populate(home: home)
        let exported = try await run(["export"])
        #expect(exported.status == 0, "\(exported.stderr)")
        let lines = records(exported.stdout)
        #expect(lines.contains { $0.contains(#""type":"contextLoad""#) } && lines.contains { $0.contains(#""type":"privacyAudit""#) })
        #expect(lines.contains { $0.contains(#""frequency":2"#) })

        let other = ServerProcess.makeTemporaryHome()
        let imported = try await run(["import", "-"], home: other, stdin: exported.stdout)
        #expect(imported.status == 0, "\(imported.stderr)")
        let summary = try JSONValue.parse(imported.stdout)
        #expect(summary["inserted"]?["session"] == 2 && summary["inserted"]?["pattern"] == 1 && summary["inserted"]?["contextLoad"] == 1)
        let reexported = try await run(["export"], home: other)
        #expect(records(reexported.stdout) == lines)

        let file = other + "/export.jsonl"
        try Data(exported.stdout.utf8).write(to: URL(fileURLWithPath: file))
        let twice = try await run(["import", file], home: other)
        #expect(twice.status == 0)
        #expect(try JSONValue.parse(twice.stdout)["inserted"]?.objectValue?.isEmpty == true)
        #expect(records((try await run(["export"], home: other)).stdout) == lines)

        // A truncated file is refused whole.
        let third = ServerProcess.makeTemporaryHome()
        let cut = String(exported.stdout.prefix(exported.stdout.count - 40))
        let refused = try await run(["import", "-"], home: third, stdin: cut)
        #expect(refused.status != 0 && refused.stderr.contains("truncated"), "\(refused.stderr)")
        #expect(records(try await run(["export"], home: third).stdout).isEmpty)
    }

    @Test func exportRecordsAndImportRecordsMoveEverythingOverAPipe() async throws {
        try await populate(home: home)
        var records: [JSONValue] = []
        var cursor: String?
        var requests = 0
        repeat {
            let params = cursor.map { #"{"project":"*","limit":2,"cursor":"\#($0)"}"# } ?? #"{"project":"*","limit":2}"#
            let page = try await call("exportRecords", params)
            #expect(page["format"] == "memctx-export" && page["version"] == 1)
            records += page["records"]?.arrayValue ?? []
            cursor = page["nextCursor"]?.stringValue
            requests += 1
        } while cursor != nil && requests < 50
        #expect(requests > 1 && cursor == nil)
        let other = ServerProcess.makeTemporaryHome()
        let body = String(decoding: try JSONEncoder().encode(JSONValue.object(["records": .array(records)])), as: UTF8.self)
        let request = #"{"jsonrpc":"2.0","id":1,"method":"importRecords","params":\#(body)}"# + "\n"
        let piped = try await run([], home: other, stdin: request)
        let response = try JSONValue.parse(piped.stdout.split(separator: "\n").first.map(String.init) ?? "")
        #expect(response["result"]?["inserted"]?["checkpoint"] == 1, "\(piped.stdout) \(piped.stderr)")
        #expect(response["result"]?["skipped"]?.arrayValue?.isEmpty == true)
        if ChildEnvironment.isCentral {
            // What the pipe's server could not push before stdin closed waits in the outbox.
            #expect(try await run(["sync"], home: other).status == 0)
        }
        #expect(self.records((try await run(["export"], home: other)).stdout) == self.records(try await run(["export"]).stdout))
        // A record that is not one names itself.
        let bad = #"{"jsonrpc":"2.0","id":2,"method":"importRecords","params":{"records":[{"type":"session","id":"nope"}]}}"# + "\n"
        let error = try JSONValue.parse(try await run([], home: other, stdin: bad).stdout.split(separator: "\n").first.map(String.init) ?? "")
        #expect(error["error"]?["code"] == -32602)
        #expect(error["error"]?["message"]?.stringValue?.contains("records[0]") == true)
    }

    @Test func purgeLeavesNoTraceOfTheText() async throws {
        let marker = "Zanzibar" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let saved = try await call("saveCheckpoint", #"{"description":"\#(marker) in the description","content":"more \#(marker) text","sessionTitle":"\#(marker) session","tags":["erase-me"]}"#)
        let sessionID = try #require(saved["checkpoint"]?["sessionId"]?.stringValue)
        let checkpointID = try #require(saved["checkpoint"]?["id"]?.stringValue)
        _ = try await call("loadContext", #"{"query":"\#(marker)","tokenBudget":500}"#)
        let purged = try await run(["purge", sessionID])
        #expect(purged.status == 0, "\(purged.stderr)")
        #expect(try JSONValue.parse(purged.stdout)["purged"] == true)
        if ChildEnvironment.isCentral {
            let synced = try await run(["sync"])
            #expect(synced.status == 0, "\(synced.stderr)")
        }
        #expect(try await call("search", #"{"query":"\#(marker)","project":"*"}"#)["hits"]?.arrayValue?.isEmpty == true)
        let missing = try await run(["call", "getSession", "--params", #"{"id":"\#(sessionID)"}"#])
        #expect(missing.status != 0)

        // The local database's bytes, WAL included.
        for suffix in ["", "-wal"] {
            let path = home + "/memctx.db" + suffix
            guard let bytes = FileManager.default.contents(atPath: path) else { continue }
            #expect(bytes.range(of: Data(marker.utf8)) == nil, "\(marker) found in memctx.db\(suffix)")
        }
        guard ChildEnvironment.isCentral else { return }
        let environment = ChildEnvironment.make(["MEMCTX_HOME": home])
        let schema = try #require(environment["MEMCTX_DATABASE_SCHEMA"])
        let url = try #require(environment["MEMCTX_DATABASE_URL"])
        // Every table of the schema, each row as text.
        let tables = try await Self.psql(url, "SELECT tablename FROM pg_tables WHERE schemaname = '\(schema)'").split(separator: "\n")
        #expect(tables.count >= 9)
        // purged_sessions is the tombstone: the id alone, so a change queued elsewhere cannot bring it back.
        for table in tables where table != "purged_sessions" {
            let hits = try await Self.psql(url, "SELECT count(*) FROM \"\(schema)\".\"\(table)\" t WHERE t::text LIKE '%\(marker)%' OR t::text LIKE '%\(sessionID)%'")
            #expect(hits == "0", "\(table) still holds the purged session: \(hits)")
        }
        #expect(try await Self.psql(url, "SELECT count(*) FROM \"\(schema)\".purged_sessions WHERE id = '\(sessionID)'") == "1")
        // Every ChromaDB collection of this home: no vector of the session or its checkpoint, no text.
        let chroma = try #require(environment["MEMCTX_CHROMA_URL"])
        let prefix = try #require(environment["MEMCTX_CHROMA_PREFIX"])
        let base = "\(chroma)/api/v2/tenants/default_tenant/databases/default_database/collections"
        var collections = 0
        for name in ["sessions_embeddings", "checkpoints_embeddings", "patterns_embeddings"] {
            guard let described = try await Self.http("GET", "\(base)/\(prefix)\(name)"), let id = described["id"]?.stringValue else { continue }
            collections += 1
            let everything = try #require(try await Self.http("POST", "\(base)/\(id)/get", body: #"{"include":["documents","metadatas"]}"#))
            let text = String(decoding: try JSONEncoder().encode(everything), as: UTF8.self)
            #expect(!text.contains(marker) && !text.contains(sessionID) && !text.contains(checkpointID), "\(name) still holds the purged session")
        }
        #expect(collections == 3)
    }

    private static func psql(_ url: String, _ sql: String) async throws -> String {
        try await offThePool { try psqlNow(url, sql) }
    }

    private static func psqlNow(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ServerProcessError("psql failed: \(sql)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func http(_ method: String, _ address: String, body: String? = nil) async throws -> JSONValue? {
        try await offThePool { try httpNow(method, address, body: body) }
    }

    private static func httpNow(_ method: String, _ address: String, body: String? = nil) throws -> JSONValue? {
        var request = URLRequest(url: try #require(URL(string: address)))
        request.httpMethod = method
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Data?>(nil)
        URLSession.shared.dataTask(with: request) { data, response, _ in
            if (response as? HTTPURLResponse)?.statusCode == 200 { box.withLock { $0 = data } }
            done.signal()
        }.resume()
        done.wait()
        return try box.withLock { $0 }.map { try JSONValue.parse(String(decoding: $0, as: UTF8.self)) }
    }
}
