import ContextTesting
import Foundation
import JSONRPC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every context method through the built binary, in both framings, with good and bad input.
@Suite("context methods over pipes", .serialized)
struct ContextMethodsEndToEndTests {
    private final class Client {
        let server: ServerProcess
        var nextID = 0
        init(framing: Framing, home: String? = nil, withoutModel: Bool = false, logLevel: String = "error") throws {
            var environment: [String: String] = [:]
            if let home { environment["MEMCTX_HOME"] = home }
            if withoutModel { environment["MEMCTX_MODEL_DIR"] = "/nonexistent/memctx-model" }
            server = try ServerProcess(arguments: ["--log-level", logLevel], framing: framing, environment: environment)
        }

        func call(_ method: String, _ params: String = "{}") throws -> JSONValue {
            nextID += 1
            try server.send(#"{"jsonrpc":"2.0","id":\#(nextID),"method":"\#(method)","params":\#(params)}"#)
            let response = try #require(try server.next())
            #expect(response["id"] == .int(Int64(nextID)))
            return response
        }

        func result(_ method: String, _ params: String = "{}") throws -> JSONValue {
            let response = try call(method, params)
            #expect(response["error"] == nil, "\(method) failed: \(String(describing: response["error"]))")
            return response["result"] ?? .null
        }
    }

    @Test(arguments: Framing.allCases)
    func everyMethodWorks(framing: Framing) throws {
        let client = try Client(framing: framing)
        let created = try client.result(
            "createSession",
            #"{"title":"Fix login loop","tags":["auth"],"decisions":["Keep sessions server-side"],"metadata":{"ticket":42}}"#
        )
        let sessionID = try #require(created["session"]?["id"]?.stringValue)
        #expect(created["stored"] == (ChildEnvironment.isCentral ? "central" : "local"))
        #expect(created["session"]?["metadata"]?["ticket"] == 42)

        let saved = try client.result(
            "saveCheckpoint",
            #"{"description":"Found the redirect loop in middleware","content":"cookie set after redirect","sessionId":"\#(sessionID)","gitCommit":"3f2a9c1","gitBranch":"fix/login","tags":["auth"]}"#
        )
        let checkpointID = try #require(saved["checkpoint"]?["id"]?.stringValue)
        #expect(saved["sessionCreated"] == false)
        #expect(try client.result("getCheckpoint", #"{"id":"\#(checkpointID)"}"#)["checkpoint"]?["gitBranch"] == "fix/login")
        #expect(try client.result("listCheckpoints", #"{"sessionId":"\#(sessionID)"}"#)["checkpoints"]?.arrayValue?.count == 1)

        let session = try client.result("getSession", #"{"id":"\#(sessionID)","checkpoints":5}"#)
        #expect(session["checkpoints"]?.arrayValue?.count == 1)
        #expect(session["session"]?["accessedAt"] != nil)
        #expect(try client.result("listSessions", #"{"tags":["auth"]}"#)["sessions"]?.arrayValue?.count == 1)
        let updated = try client.result("updateSession", #"{"id":"\#(sessionID)","addDecisions":["Use SameSite=Lax"],"status":"archived"}"#)
        #expect(updated["session"]?["decisions"]?.arrayValue?.count == 2)
        #expect(updated["session"]?["archivedAt"] != nil)

        let pattern = try client.result(
            "savePattern",
            #"{"name":"Set cookie before redirect","patternType":"error","template":"set the session cookie before issuing the redirect","confidence":0.6}"#
        )
        #expect(pattern["action"] == "created")
        let merged = try client.result(
            "savePattern",
            #"{"name":"Set cookie before redirect","patternType":"error","template":"set the session cookie before issuing the redirect","confidence":1}"#
        )
        #expect(merged["action"] == "merged")
        #expect(merged["pattern"]?["frequency"] == 2)
        let patternID = try #require(merged["pattern"]?["id"]?.stringValue)
        #expect(try client.result("getPattern", #"{"id":"\#(patternID)"}"#)["pattern"]?["name"] == "Set cookie before redirect")
        #expect(try client.result("listPatterns", #"{"patternType":"error"}"#)["patterns"]?.arrayValue?.count == 1)

        let patterns = try client.result("searchPatterns", #"{"query":"cookie redirect"}"#)
        #expect(patterns["hits"]?.arrayValue?.first?["pattern"]?["id"] == .string(patternID))
        let embedding = try client.result("health")["embedding"]?["status"]?.stringValue
        #expect(patterns["mode"] == (embedding == "ok" || embedding == "loading" ? "hybrid" : "lexical"))
        #expect(try client.result("searchSessions", #"{"query":"login"}"#)["hits"]?.arrayValue?.count == 1)
        #expect(try client.result("searchCheckpoints", #"{"query":"redirect middleware"}"#)["hits"]?.arrayValue?.count == 1)
        let all = try client.result("search", #"{"query":"redirect","mode":"lexical"}"#)
        #expect((all["hits"]?.arrayValue?.count ?? 0) >= 2)

        let context = try client.result("loadContext", #"{"query":"login redirect cookie","tokenBudget":300}"#)
        #expect((context["tokensUsed"].flatMap { if case .int(let n) = $0 { n } else { nil } } ?? 999) <= 300)
        #expect(context["context"]?.stringValue?.isEmpty == false)

        let stats = try client.result("stats")
        #expect(stats["checkpoints"] == 1)
        #expect(stats["contextLoads"] == 1)

        #expect(try client.result("deleteSession", #"{"id":"\#(sessionID)"}"#)["deleted"] == true)
        #expect(try client.result("deleteSession", #"{"id":"\#(sessionID)","purge":true}"#)["purged"] == true)
        #expect(try client.call("getSession", #"{"id":"\#(sessionID)"}"#).errorCode == -32001)
        try client.server.closeInput()
        #expect(client.server.waitForExit() == 0)
    }

    @Test(
        "bad input names the field",
        arguments: [
            ("saveCheckpoint", #"{}"#, "description"),
            ("saveCheckpoint", #"{"description":""}"#, "description"),
            ("saveCheckpoint", #"{"description":"x","sessionId":"nope"}"#, "sessionId"),
            ("saveCheckpoint", #"{"description":"x","privacyLevel":"secret"}"#, "privacyLevel"),
            ("saveCheckpoint", #"{"description":"x","tags":"auth"}"#, "tags"),
            ("saveCheckpoint", #"{"description":"x","metadata":[1]}"#, "metadata"),
            ("saveCheckpoint", #"{"description":"x","gitCommit":"zz"}"#, "gitCommit"),
            ("saveCheckpoint", #"{"description":"x","project":"*"}"#, "project"),
            ("saveCheckpoint", #"{"description":"x","bogus":1}"#, "bogus"),
            ("getCheckpoint", #"{}"#, "id"),
            ("getCheckpoint", #"{"id":42}"#, "id"),
            ("listCheckpoints", #"{"limit":0}"#, "limit"),
            ("listCheckpoints", #"{"limit":101}"#, "limit"),
            ("listCheckpoints", #"{"since":"yesterday"}"#, "since"),
            ("listCheckpoints", #"{"cursor":"bad"}"#, "cursor"),
            ("createSession", #"{}"#, "title"),
            ("createSession", #"{"title":"x","parentSessionId":"1"}"#, "parentSessionId"),
            ("getSession", #"{"id":"x"}"#, "id"),
            ("getSession", #"{"id":"0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00","checkpoints":500}"#, "checkpoints"),
            ("listSessions", #"{"status":"gone"}"#, "status"),
            ("updateSession", #"{"title":"x"}"#, "id"),
            ("updateSession", #"{"id":"0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00","durationMinutes":"long"}"#, "durationMinutes"),
            ("deleteSession", #"{"id":"0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00","purge":"yes"}"#, "purge"),
            ("savePattern", #"{"name":"x"}"#, "patternType"),
            ("savePattern", #"{"name":"x","patternType":"code","confidence":1.5}"#, "confidence"),
            ("savePattern", #"{"name":"x","patternType":"code","successRate":-1}"#, "successRate"),
            ("getPattern", #"{"id":null}"#, "id"),
            ("listPatterns", #"{"minConfidence":2}"#, "minConfidence"),
            ("searchPatterns", #"{}"#, "query"),
            ("searchPatterns", #"{"query":"!!","mode":"lexical"}"#, "query"),
            ("searchPatterns", #"{"query":"x y","limit":-1}"#, "limit"),
            ("searchPatterns", #"{"query":"retry","mode":"fuzzy"}"#, "mode"),
            ("searchSessions", #"{"query":"retry","minScore":3}"#, "minScore"),
            ("searchCheckpoints", #"{"query":"retry","sessionId":"x"}"#, "sessionId"),
            ("search", #"{"query":"retry","kinds":["file"]}"#, "kinds[0]"),
            ("loadContext", #"{"tokenBudget":1}"#, "tokenBudget"),
            ("loadContext", #"{"sessionId":"x"}"#, "sessionId"),
            ("stats", #"{"project":""}"#, "project"),
        ]
    )
    func badInputNamesTheField(method: String, params: String, field: String) throws {
        let client = try Client(framing: .ndjson)
        let response = try client.call(method, params)
        #expect(response.errorCode == -32602, "\(method) \(params): \(response)")
        #expect(response["error"]?["data"]?["field"] == .string(field), "\(method) \(params): \(response)")
        try client.server.closeInput()
        #expect(client.server.waitForExit() == 0)
    }

    @Test func notFoundAndFeatureUnavailableUseServerCodes() throws {
        let client = try Client(framing: .lsp, withoutModel: true)
        #expect(try client.call("getPattern", #"{"id":"0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00"}"#).errorCode == -32001)
        #expect(try client.call("searchPatterns", #"{"query":"retry","mode":"semantic"}"#).errorCode == -32006)
        try client.server.closeInput()
        #expect(client.server.waitForExit() == 0)
    }

    @Test func acknowledgedWritesSurviveSIGKILL() throws {
        let home = ServerProcess.makeTemporaryHome()
        let client = try Client(framing: .ndjson, home: home)
        let count = 200
        var bytes: [UInt8] = []
        for index in 0..<count {
            Framing.ndjson.frame(
                Array(#"{"jsonrpc":"2.0","id":\#(index),"method":"saveCheckpoint","params":{"description":"durable \#(index)","sessionId":"0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00"}}"#.utf8),
                into: &bytes
            )
        }
        try client.server.writeRaw(bytes)
        var acknowledged = 0
        while acknowledged < count, let response = try client.server.next() {
            #expect(response["error"] == nil)
            acknowledged += 1
        }
        kill(client.server.process.processIdentifier, SIGKILL)
        _ = client.server.waitForExit()
        let reopened = try Client(framing: .ndjson, home: home)
        let stats = try reopened.result("stats")
        #expect(stats["checkpoints"] == .int(Int64(count)))
        try reopened.server.closeInput()
        _ = reopened.server.waitForExit()
    }

    @Test func threeProcessesShareOneDatabaseWithoutLosingWrites() throws {
        let home = ServerProcess.makeTemporaryHome()
        let perProcess = 150
        // Without the model: templated names like these are near-identical by meaning and would merge; this
        // test is about sharing the file, merging is tested elsewhere.
        // Their logs explain a failure (a push that failed, and why).
        let servers = try (0..<3).map { _ in try Client(framing: .ndjson, home: home, withoutModel: true, logLevel: "debug") }
        for (serverIndex, client) in servers.enumerated() {
            var bytes: [UInt8] = []
            for index in 0..<perProcess {
                let request = index % 3 == 0
                    ? #"{"jsonrpc":"2.0","id":\#(index),"method":"savePattern","params":{"name":"pattern \#(serverIndex)-\#(index) unique\#(serverIndex)x\#(index)","patternType":"code"}}"#
                    : #"{"jsonrpc":"2.0","id":\#(index),"method":"saveCheckpoint","params":{"description":"process \#(serverIndex) write \#(index)"}}"#
                Framing.ndjson.frame(Array(request.utf8), into: &bytes)
            }
            try client.server.writeRaw(bytes)
        }
        for client in servers {
            for _ in 0..<perProcess {
                let response = try #require(try client.server.next())
                #expect(response["error"] == nil, "\(response)")
            }
            try client.server.closeInput()
            #expect(client.server.waitForExit() == 0)
        }
        let checker = try Client(framing: .ndjson, home: home, withoutModel: true, logLevel: "debug")
        let stats = try checker.result("stats")
        try checker.server.closeInput()
        _ = checker.server.waitForExit()
        let logs = (servers + [checker]).map { client in
            client.server.standardError.split(separator: "\n").filter { $0.contains("fail") || $0.contains("error") }.joined(separator: "\n")
        }
        #expect(stats["checkpoints"] == .int(Int64(3 * (perProcess - perProcess / 3))), "\(logs.joined(separator: "\n---\n"))")
        #expect(stats["patterns"]?["total"] == .int(Int64(3 * (perProcess / 3))))
    }
}
