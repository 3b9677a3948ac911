import ContextTesting
import JSONRPC
import Logging
import Testing

/// MCP on the same connection (both eras), at the protocol level.
@Suite("MCP")
struct MCPTests {
    private func client() -> InProcessClient {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return InProcessClient(dispatcher: makeServer(logger: logger), framing: .ndjson)
    }

    @Test func initializeNegotiatesTheVersion() async throws {
        let client = client()
        for (asked, answered) in [("2024-11-05", "2024-11-05"), ("2025-11-25", "2025-11-25"), ("1999-01-01", "2025-11-25")] {
            let response = try #require(
                try await client.call(
                    #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"\#(asked)","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#))
            #expect(response["result"]?["protocolVersion"] == .string(answered))
            #expect(response["result"]?["serverInfo"]?["name"] == "memctx")
            #expect(response["result"]?["capabilities"]?["tools"] != nil)
        }
        // An editor's initialize (no protocolVersion) still gets the LSP answer.
        let lsp = try #require(try await client.call(#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"processId":1}}"#))
        #expect(lsp["result"]?["capabilities"]?["experimental"]?["memctx"] != nil)
        #expect(lsp["result"]?["protocolVersion"] == nil)
    }

    @Test func toolsHaveStrictSchemasInADeterministicOrder() async throws {
        let client = client()
        let first = try #require(try await client.call(#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#))
        let second = try #require(try await client.call(#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#))
        guard case .array(let tools)? = first["result"]?["tools"] else {
            Issue.record("no tools")
            return
        }
        #expect(first["result"] == second["result"])
        let names = tools.compactMap { $0["name"]?.stringValue }
        #expect(Set(names).isSuperset(of: ["saveCheckpoint", "listSessions", "searchPatterns", "loadContext", "deleteSession"]))
        for tool in tools {
            let schema = try #require(tool["inputSchema"])
            #expect(schema["type"] == "object", "\(names)")
            let description = tool["description"]?.stringValue ?? ""
            #expect(!description.isEmpty)
            Self.checkStrict(schema, path: tool["name"]?.stringValue ?? "?")
            if let output = tool["outputSchema"] { Self.checkStrict(output, path: "\(tool["name"]?.stringValue ?? "?") output") }
        }
        let delete = try #require(tools.first { $0["name"] == "deleteSession" })
        #expect(delete["annotations"]?["destructiveHint"] == true)
        let list = try #require(tools.first { $0["name"] == "listSessions" })
        #expect(list["annotations"]?["readOnlyHint"] == true)
    }

    /// No unresolved reference, every array with `items`.
    private static func checkStrict(_ schema: JSONValue, path: String) {
        switch schema {
        case .object(let object):
            #expect(object["$ref"] == nil, "\(path) has a $ref")
            if object["type"] == "array" { #expect(object["items"] != nil, "\(path): an array without items") }
            for (key, value) in object { checkStrict(value, path: path + "." + key) }
        case .array(let values):
            for value in values { checkStrict(value, path: path) }
        default:
            break
        }
    }

    @Test func toolCallsAnswerWithStructuredContentOrAToolError() async throws {
        let client = client()
        let saved = try #require(
            try await client.call(
                #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"saveCheckpoint","arguments":{"description":"wired the MCP tools"}}}"#))
        #expect(saved["result"]?["isError"] == false)
        #expect(saved["result"]?["structuredContent"]?["checkpoint"]?["description"] == "wired the MCP tools")
        guard case .array(let content)? = saved["result"]?["content"], let text = content.first?["text"]?.stringValue else {
            Issue.record("no text block")
            return
        }
        #expect(try JSONValue.parse(text) == saved["result"]?["structuredContent"])

        let bad = try #require(
            try await client.call(
                #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"listSessions","arguments":{"limit":0}}}"#))
        #expect(bad["error"] == nil)
        #expect(bad["result"]?["isError"] == true)
        guard case .array(let badContent)? = bad["result"]?["content"] else {
            Issue.record("no content")
            return
        }
        #expect(badContent.first?["text"]?.stringValue?.contains("limit") == true)

        let unknown = try #require(
            try await client.call(#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"dropTables","arguments":{}}}"#))
        #expect(unknown["error"]?["code"] == -32602)
    }

    @Test func aToolCallWithAProgressTokenReportsProgressBeforeItsResult() async throws {
        let client = client()
        client.send(
            #"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"stats","arguments":{},"_meta":{"progressToken":"tok-1"}}}"#)
        var progress: [JSONValue] = []
        var result: JSONValue?
        while result == nil, let message = try await client.next() {
            if message["method"] == "notifications/progress" { progress.append(message) } else { result = message }
        }
        #expect(result?["result"]?["isError"] == false)
        #expect(progress.count == 2)
        #expect(progress.allSatisfy { $0["params"]?["progressToken"] == "tok-1" })
        #expect(progress.last?["params"]?["progress"] == 1 && progress.last?["params"]?["total"] == 1)
        // Without a token, no progress: the response comes alone.
        let plain = try #require(try await client.call(#"{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"stats","arguments":{}}}"#))
        #expect(plain["id"] == 10)
    }

    @Test func statelessRequestsAreCheckedAndMarkedComplete() async throws {
        let client = client()
        let discover = try #require(
            try await client.call(
                #"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#))
        #expect(discover["result"]?["resultType"] == "complete")
        #expect(discover["result"]?["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "memctx")
        #expect(discover["result"]?["ttlMs"] != nil && discover["result"]?["cacheScope"] != nil)
        // A method with strict params accepts `_meta` (it is not a param) and says it is complete.
        let listed = try #require(
            try await client.call(
                #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"stats","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#))
        #expect(listed["result"]?["resultType"] == "complete")
        #expect(listed["result"]?["isError"] == false)
        let refused = try #require(
            try await client.call(
                #"{"jsonrpc":"2.0","id":3,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2030-01-01"}}}"#))
        #expect(refused["error"]?["code"] == -32022)
        guard case .array(let supported)? = refused["error"]?["data"]?["supported"] else {
            Issue.record("no supported list")
            return
        }
        #expect(supported.contains("2026-07-28") && supported.contains("2024-11-05"))
        // Nothing is inferred from earlier requests: a request without `_meta` is plain JSON-RPC.
        let plain = try #require(try await client.call(#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#))
        #expect(plain["result"]?["resultType"] == nil)
    }
}

@Suite("MCP resources and prompts")
struct MCPResourceTests {
    @Test func recentItemsAreResourcesAndResumeLoadsContext() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let client = InProcessClient(dispatcher: makeServer(logger: logger), framing: .ndjson)
        let saved = try #require(
            try await client.call(
                #"{"jsonrpc":"2.0","id":1,"method":"saveCheckpoint","params":{"description":"Fixed the login redirect loop","content":"the cookie path was wrong"}}"#))
        let checkpoint = try #require(saved["result"]?["checkpoint"]?["id"]?.stringValue)
        let session = try #require(saved["result"]?["sessionId"]?.stringValue)

        let listed = try #require(try await client.call(#"{"jsonrpc":"2.0","id":2,"method":"resources/list"}"#))
        guard case .array(let resources)? = listed["result"]?["resources"] else {
            Issue.record("no resources")
            return
        }
        let uris = Set(resources.compactMap { $0["uri"]?.stringValue })
        #expect(uris.contains("memctx://sessions/\(session)") && uris.contains("memctx://checkpoints/\(checkpoint)"))

        let read = try #require(
            try await client.call(#"{"jsonrpc":"2.0","id":3,"method":"resources/read","params":{"uri":"memctx://checkpoints/\#(checkpoint)"}}"#))
        guard case .array(let contents)? = read["result"]?["contents"], let text = contents.first?["text"]?.stringValue else {
            Issue.record("no contents")
            return
        }
        #expect(try JSONValue.parse(text)["checkpoint"]?["description"] == "Fixed the login redirect loop")
        let bad = try #require(try await client.call(#"{"jsonrpc":"2.0","id":4,"method":"resources/read","params":{"uri":"file:///etc/passwd"}}"#))
        #expect(bad["error"]?["code"] == -32602)

        let templates = try #require(try await client.call(#"{"jsonrpc":"2.0","id":5,"method":"resources/templates/list"}"#))
        guard case .array(let templateList)? = templates["result"]?["resourceTemplates"] else {
            Issue.record("no templates")
            return
        }
        let uriTemplates = templateList.compactMap { $0["uriTemplate"]?.stringValue }
        #expect(uriTemplates.contains("memctx://sessions/{id}"))

        let prompts = try #require(try await client.call(#"{"jsonrpc":"2.0","id":6,"method":"prompts/list"}"#))
        guard case .array(let promptList)? = prompts["result"]?["prompts"] else {
            Issue.record("no prompts")
            return
        }
        #expect(promptList.first?["name"] == "resume")
        let prompt = try #require(
            try await client.call(
                #"{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"resume","arguments":{"query":"login redirect"}}}"#))
        guard case .array(let messages)? = prompt["result"]?["messages"] else {
            Issue.record("no messages")
            return
        }
        let message = messages.first?["content"]?["text"]?.stringValue ?? ""
        #expect(message.contains("login redirect loop"), "\(message)")
    }
}
