import ContextTesting
import Foundation

#if canImport(Glibc)
    import Glibc
#endif
import JSONRPC

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Synchronization
import Testing

/// Offline fallback and replay with real servers and real processes (docs/sync.md): three `memctx serve`
/// processes share one local database and write while PostgreSQL is stopped, restarted, paused and resumed
/// and ChromaDB is killed and restarted; afterwards the central repository holds exactly what was
/// acknowledged, and the outbox is empty.
///
/// The servers are a private pair (scripts/dev-services.sh with its own MEMCTX_SERVICES_DIR), so the faults
/// reach no other test. Runs when the test command has set up the services (MEMCTX_DATABASE_URL set).
@Suite(
    "offline fallback and sync under faults, with real servers",
    .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["MEMCTX_DATABASE_URL"] != nil && !ChildEnvironment.isCentral,
        "needs the services of scripts/test.sh (and runs once, in the local run of the end-to-end suite)")
)
struct SyncFaultEndToEndTests {
    private static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    private let servicesDirectory = NSTemporaryDirectory() + "memctx-faults-" + UUID().uuidString
    private let home = ServerProcess.makeTemporaryHome()

    @Test func threeProcessesLoseNothingAndDuplicateNothingWhileTheServersFail() async throws {
        // A server that dies must fail the test, not kill the test process on the next write.
        signal(SIGPIPE, SIG_IGN)
        let urls = try services("start")
        defer { _ = try? services("stop") }
        let environment = [
            "MEMCTX_HOME": home, "MEMCTX_PROJECT": "faults",
            "MEMCTX_DATABASE_URL": try #require(urls["MEMCTX_DATABASE_URL"]),
            "MEMCTX_CHROMA_URL": try #require(urls["MEMCTX_CHROMA_URL"]),
            "MEMCTX_DATABASE_SCHEMA": "faults", "MEMCTX_CHROMA_PREFIX": "faults_", "MEMCTX_LOG_LEVEL": "error",
        ]
        let servers = try (0..<3).map { _ in
            try ServerProcess(arguments: ["serve", "--framing", "ndjson"], framing: .ndjson, environment: environment, timeout: 120)
        }
        let faultsDone = Flag()
        let schedule = Task.detached {
            defer { faultsDone.set() }
            for (pause, fault) in [
                (0.6, "pg-kill"), (1.2, "restart"), (1.0, "pg-pause"), (1.5, "pg-resume"), (1.0, "chroma-kill"),
                (1.2, "restart"), (0.8, ""),
            ] {
                try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
                if !fault.isEmpty { _ = try self.services(fault) }
            }
        }
        // Each process writes until the faults are over, one request at a time, keeping what was acknowledged
        // (on threads of their own: the reads block).
        let writers = servers.enumerated().map { index, server in
            Self.onThread { try Self.write(to: server, name: "p\(index)", until: faultsDone) }
        }
        try await schedule.value
        var acknowledged = Acknowledged()
        for writer in writers { acknowledged.merge(try await writer()) }
        for server in servers {
            try server.closeInput()
            let status = server.waitForExit(timeout: 60)
            #expect(status == 0, "\(server.standardError.suffix(3000))")
        }

        // Whatever is still queued goes now.
        var sync = try CommandRun.run(["sync"], environment: environment)
        for _ in 0..<5 where sync.status != 0 {
            try await Task.sleep(for: .seconds(1))
            sync = try CommandRun.run(["sync"], environment: environment)
        }
        #expect(sync.status == 0, "\(sync.stderr)")

        // The central repository, read by a process with an empty local database.
        var reader = environment
        reader["MEMCTX_HOME"] = ServerProcess.makeTemporaryHome()
        let sessions = try Self.list("listSessions", key: "sessions", environment: reader)
        let checkpoints = try Self.list("listCheckpoints", key: "checkpoints", environment: reader)
        let patterns = try Self.list("listPatterns", key: "patterns", environment: reader)
        let sessionIDs = sessions.compactMap { $0["id"]?.stringValue }
        let checkpointIDs = checkpoints.compactMap { $0["id"]?.stringValue }
        let patternIDs = patterns.compactMap { $0["id"]?.stringValue }
        let frequencies = patterns.reduce(0) { total, pattern in
            if case .int(let frequency)? = pattern["frequency"] { return total + Int(frequency) }
            return total
        }
        let health = try JSONValue.parse(try CommandRun.run(["call", "health"], environment: environment).stdout)
        let outbox: Int = if case .int(let depth)? = health["sync"]?["outboxDepth"] { Int(depth) } else { -1 }
        let vectors = try ["sessions", "checkpoints", "patterns"].map {
            try Self.chromaCount(url: try #require(urls["MEMCTX_CHROMA_URL"]), collection: "faults_\($0)_embeddings")
        }
        print(
            """
            sync under faults: acknowledged \(acknowledged.sessions.count) sessions, \(acknowledged.checkpoints.count) checkpoints, \
            \(acknowledged.patternSaves) pattern saves into \(acknowledged.patterns.count) patterns (\(acknowledged.storedLocal) answered \
            stored: local, \(acknowledged.errors.count) errors); central holds \(sessionIDs.count) sessions, \(checkpointIDs.count) checkpoints, \
            \(patternIDs.count) patterns (frequencies sum \(frequencies)); ChromaDB vectors \(vectors); outbox \(outbox)
            """)
        #expect(acknowledged.errors.isEmpty, "\(acknowledged.errors.prefix(3))")
        #expect(acknowledged.storedLocal > 0, "no write ever fell back: the faults did not bite")
        #expect(Set(sessionIDs) == acknowledged.sessions && sessionIDs.count == acknowledged.sessions.count)
        #expect(Set(checkpointIDs) == acknowledged.checkpoints && checkpointIDs.count == acknowledged.checkpoints.count)
        #expect(Set(patternIDs) == acknowledged.patterns && patternIDs.count == acknowledged.patterns.count)
        #expect(frequencies == acknowledged.patternSaves, "merges must add up, once each")
        #expect(outbox == 0)
        if ProcessInfo.processInfo.environment["MEMCTX_MODEL_DIR"] != nil {
            #expect(vectors == [sessionIDs.count, checkpointIDs.count, patternIDs.count])
        }
    }

    /// What one process was told was saved.
    struct Acknowledged: Sendable {
        var sessions: Set<String> = []
        var checkpoints: Set<String> = []
        var patterns: Set<String> = []
        var patternSaves = 0
        var storedLocal = 0
        var errors: [String] = []

        mutating func merge(_ other: Acknowledged) {
            sessions.formUnion(other.sessions)
            checkpoints.formUnion(other.checkpoints)
            patterns.formUnion(other.patterns)
            patternSaves += other.patternSaves
            storedLocal += other.storedLocal
            errors += other.errors
        }
    }

    /// Runs `body` on a new thread; the returned function waits for its result.
    private static func onThread<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value)
        -> @Sendable () async throws -> Value
    {
        let box = ResultBox<Value>()
        Thread { box.set(Result { try body() }) }.start()
        return { try await box.value() }
    }

    private final class ResultBox<Value: Sendable>: Sendable {
        private let result = Mutex<Result<Value, any Error>?>(nil)
        func set(_ value: Result<Value, any Error>) { result.withLock { $0 = value } }
        func value() async throws -> Value {
            while true {
                if let value = result.withLock({ $0 }) { return try value.get() }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Set once, read from other tasks.
    final class Flag: Sendable {
        private let value = Atomic(false)
        func set() { value.store(true, ordering: .sequentiallyConsistent) }
        var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
    }

    private static func write(to server: ServerProcess, name: String, until done: Flag) throws -> Acknowledged {
        var acknowledged = Acknowledged()
        var session: String?
        var index = 0
        var id = 0
        func call(_ method: String, _ params: String) throws -> JSONValue? {
            id += 1
            try server.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
            guard let response = try server.next() else {
                throw ServerProcessError("\(name): no response to \(method) #\(id); the server's stderr: \(server.standardError.suffix(3000))")
            }
            guard let result = response["result"] else {
                acknowledged.errors.append("\(method): \(response["error"]?["message"]?.stringValue ?? "no result")")
                return nil
            }
            if result["stored"] == "local" { acknowledged.storedLocal += 1 }
            return result
        }
        while !done.isSet || index < 6 {
            if index % 4 == 0, let result = try call("createSession", #"{"title":"\#(name) session \#(index)","tags":["faults"]}"#),
                let created = result["session"]?["id"]?.stringValue
            {
                session = created
                acknowledged.sessions.insert(created)
            }
            let sessionField = session.map { #","sessionId":"\#($0)""# } ?? ""
            if let result = try call(
                "saveCheckpoint",
                #"{"description":"\#(name) step \#(index): rotated the keys","content":"step \#(index) of the rollout"\#(sessionField)}"#),
                let checkpoint = result["checkpoint"]?["id"]?.stringValue
            {
                acknowledged.checkpoints.insert(checkpoint)
                if let sessionID = result["sessionId"]?.stringValue { acknowledged.sessions.insert(sessionID) }
            }
            if index % 3 == 0 {
                // Every process saves the same few patterns: most saves merge, on several machines at once.
                let pattern = #"{"patternType":"workflow","name":"Rotate credentials \#(index % 2)","template":"revoke, issue, deploy, verify \#(index % 2)"}"#
                if let result = try call("savePattern", pattern), let saved = result["pattern"]?["id"]?.stringValue {
                    acknowledged.patterns.insert(saved)
                    acknowledged.patternSaves += 1
                }
            }
            index += 1
        }
        return acknowledged
    }

    /// Every item of a listing across all projects, page by page; every page must come from the central repository.
    private static func list(_ method: String, key: String, environment: [String: String]) throws -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: String?
        repeat {
            let cursorField = cursor.map { #","cursor":"\#($0)""# } ?? ""
            let run = try CommandRun.run(
                ["call", method, "--params", #"{"project":"*","limit":100\#(cursorField)}"#], environment: environment)
            let page = try JSONValue.parse(run.stdout)
            #expect(page["source"] == "central", "\(method): \(run.stderr)")
            if case .array(let values)? = page[key] { items += values }
            cursor = page["nextCursor"]?.stringValue
        } while cursor != nil
        return items
    }

    /// How many vectors a ChromaDB collection holds (0 if it does not exist).
    private static func chromaCount(url: String, collection: String) throws -> Int {
        let base = "\(url)/api/v2/tenants/default_tenant/databases/default_database/collections"
        guard let described = try get("\(base)/\(collection)"), let id = described["id"]?.stringValue,
            case .int(let count)? = try get("\(base)/\(id)/count")
        else { return 0 }
        return Int(count)
    }

    private static func get(_ address: String) throws -> JSONValue? {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Data?>(nil)
        let task = URLSession.shared.dataTask(with: try #require(URL(string: address))) { data, response, _ in
            if (response as? HTTPURLResponse)?.statusCode == 200 { box.withLock { $0 = data } }
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.withLock { $0 }.map { try JSONValue.parse(String(decoding: $0, as: UTF8.self)) }
    }

    /// Runs scripts/dev-services.sh COMMAND on this test's private pair; `start` returns the printed variables.
    private func services(_ command: String) throws -> [String: String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.repository.appendingPathComponent("scripts/dev-services.sh").path, command]
        var environment = ProcessInfo.processInfo.environment
        environment["MEMCTX_SERVICES_DIR"] = servicesDirectory
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ServerProcessError("scripts/dev-services.sh \(command) failed (exit \(process.terminationStatus))")
        }
        var values: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            // export NAME='value'
            let text = line.replacingOccurrences(of: "export ", with: "")
            guard let equals = text.firstIndex(of: "=") else { continue }
            values[String(text[..<equals])] = String(text[text.index(after: equals)...]).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
        }
        return values
    }
}
