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
