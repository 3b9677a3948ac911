import ContextTesting
import JSONRPC
import Testing

@Suite("MessageParser")
struct MessageParserTests {
    private func parse(_ text: String) throws(JSONRPCError) -> IncomingPayload {
        try MessageParser.parse(Array(text.utf8))
    }

    @Test(
        "invalid JSON is a parse error",
        arguments: [
            "{", "}", "{\"a\":}", "[1,]", "{\"a\":1,}", "tru", "nul", "01", "1.", "-", "1e", "1e+",
            "{\"a\" 1}", "{'a':1}", "[1 2]", "{} x", "\"abc", "\"\\x\"", "\"\\u12G4\"", "{\"a\":1}}", "NaN",
            "\"tab\there\"", "", "   ",
        ]
    )
    func invalidJSONIsParseError(text: String) {
        #expect(throws: JSONRPCError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.code == .parseError)
        }
    }

    @Test func invalidUTF8IsParseError() {
        let bytes: [UInt8] = Array(#"{"jsonrpc":"2.0","id":1,"method":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONRPCError.self) { try MessageParser.parse(bytes) }
        let overlong: [UInt8] = Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)
        #expect(throws: JSONRPCError.self) { try MessageParser.parse(overlong) }
        let surrogate: [UInt8] = Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8)
        #expect(throws: JSONRPCError.self) { try MessageParser.parse(surrogate) }
    }

    @Test func deepNestingIsRejectedWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONRPCError.self) { try parse(deep) }
        let params =
            #"{"jsonrpc":"2.0","id":1,"method":"m","params":"# + String(repeating: "[", count: 5000)
            + String(repeating: "]", count: 5000) + "}"
        #expect(throws: JSONRPCError.self) { try parse(params) }
    }

    @Test(
        "ids are kept exactly as written",
        arguments: [
            #"1"#, #"-7"#, #"1.50"#, #"1e3"#, #"12345678901234567890123"#, #""abc""#, #""a\u0062""#, #""""#, #"null"#,
        ]
    )
    func idKeptExactly(id: String) throws {
        let payload = try parse(#"{"jsonrpc":"2.0","id":\#(id),"method":"m"}"#)
        guard case .single(.request(let parsed, "m", nil)) = payload else {
            Issue.record("not a request: \(payload)")
            return
        }
        #expect(parsed.json == Array(id.utf8))
    }

    @Test func stringIdsCompareByValue() throws {
        guard case .single(.request(let escaped, _, _)) = try parse(#"{"jsonrpc":"2.0","id":"a\u0062","method":"m"}"#)
        else {
            Issue.record("not a request")
            return
        }
        #expect(escaped == RequestID("ab"))
        #expect(escaped != RequestID(1))
    }

    @Test func notificationHasNoID() throws {
        guard
            case .single(.notification("note", let params)) = try parse(
                #"{"method":"note","jsonrpc":"2.0","params":[1]}"#)
        else {
            Issue.record("not a notification")
            return
        }
        #expect(params?.text == "[1]")
    }

    @Test(
        "valid JSON that is not a request is -32600",
        arguments: [
            (#"1"#, "null"),
            (#""text""#, "null"),
            (#"null"#, "null"),
            (#"{}"#, "null"),
            (#"{"jsonrpc":"1.0","id":1,"method":"m"}"#, "1"),
            (#"{"id":1,"method":"m"}"#, "1"),
            (#"{"jsonrpc":"2.0","id":2}"#, "2"),
            (#"{"jsonrpc":"2.0","id":3,"method":7}"#, "3"),
            (#"{"jsonrpc":"2.0","id":{"a":1},"method":"m"}"#, "null"),
            (#"{"jsonrpc":"2.0","id":[1],"method":"m"}"#, "null"),
            (#"{"jsonrpc":"2.0","id":true,"method":"m"}"#, "null"),
            (#"{"jsonrpc":"2.0","id":4,"method":"m","params":"bar"}"#, "4"),
            (#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#, "null"),
        ]
    )
    func invalidRequest(text: String, echoedID: String) throws {
        guard case .single(.invalid(let id, let error)) = try parse(text) else {
            Issue.record("expected an invalid request")
            return
        }
        #expect(error.code == .invalidRequest)
        #expect(id.json == Array(echoedID.utf8))
    }

    @Test func emptyBatchIsOneInvalidRequest() throws {
        guard case .single(.invalid(let id, let error)) = try parse("[ ]") else {
            Issue.record("expected a single error")
            return
        }
        #expect(id == .null)
        #expect(error.code == .invalidRequest)
    }

    @Test func batchKeepsOrderAndClassifiesEachElement() throws {
        let text = #"[{"jsonrpc":"2.0","id":1,"method":"a"},1,{"jsonrpc":"2.0","method":"b"},{"foo":"bar"}]"#
        guard case .batch(let messages) = try parse(text) else {
            Issue.record("expected a batch")
            return
        }
        #expect(messages.count == 4)
        if case .request(RequestID(1), "a", nil) = messages[0] {} else { Issue.record("element 0: \(messages[0])") }
        if case .invalid = messages[1] {} else { Issue.record("element 1: \(messages[1])") }
        if case .notification("b", nil) = messages[2] {} else { Issue.record("element 2: \(messages[2])") }
        if case .invalid = messages[3] {} else { Issue.record("element 3: \(messages[3])") }
    }

    @Test func oversizedBatchIsOneInvalidRequest() throws {
        let element = #"{"jsonrpc":"2.0","id":1,"method":"m"}"#
        let text = "[" + Array(repeating: element, count: MessageParser.maximumBatchSize + 1).joined(separator: ",") + "]"
        guard case .single(.invalid(_, let error)) = try parse(text) else {
            Issue.record("expected a single error")
            return
        }
        #expect(error.code == .invalidRequest)
    }

    @Test func numericIDsCompareByValue() throws {
        for (written, other) in [("1e2", "100"), ("1.50", "1.5"), ("12345678901234567890", "1.2345678901234567e19")] {
            guard case .single(.request(let lhs, _, _)) = try parse(#"{"jsonrpc":"2.0","id":\#(written),"method":"m"}"#),
                case .single(.request(let rhs, _, _)) = try parse(#"{"jsonrpc":"2.0","id":\#(other),"method":"m"}"#)
            else {
                Issue.record("not requests")
                continue
            }
            #expect(lhs == rhs, "\(written) vs \(other)")
            #expect(lhs.json == Array(written.utf8))
        }
    }

    @Test func escapedMethodNamesAreDecoded() throws {
        guard case .single(.request(_, let method, _)) = try parse(#"{"jsonrpc":"2.0","id":1,"method":"pi\u006eg"}"#)
        else {
            Issue.record("not a request")
            return
        }
        #expect(method == "ping")
    }

    @Test func surrogatePairsDecode() throws {
        guard case .single(.request(let id, _, _)) = try parse(#"{"jsonrpc":"2.0","id":"\ud83c\udf89","method":"m"}"#)
        else {
            Issue.record("not a request")
            return
        }
        #expect(id == RequestID("🎉"))
    }
}
