import ContextTesting
import JSONRPC
import Testing

@Suite("Connection")
struct ConnectionTests {
    private func client(
        probe: ConcurrencyProbe = ConcurrencyProbe(),
        framing: Framing = .ndjson,
        configuration: ConnectionConfiguration = ConnectionConfiguration()
    ) -> InProcessClient {
        InProcessClient(dispatcher: makeTestRegistry(probe: probe), configuration: configuration, framing: framing)
    }

    @Test(arguments: Framing.allCases)
    func requestGetsItsResult(framing: Framing) async throws {
        let client = client(framing: framing)
        let response = try await client.call(#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"value":[1,"two"]}}"#)
        #expect(response == .object(["jsonrpc": "2.0", "id": 1, "result": [1, "two"]]))
        client.closeInput()
        #expect(await client.exitCode() == 0)
    }

    @Test(arguments: [#"7"#, #""seven""#, #"1.50"#, #"-0"#, #"1E2"#, #""a\u0062""#, #"null"#, #"98765432109876543210"#])
    func idIsEchoedByteForByte(id: String) async throws {
        let client = client()
        client.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"echo"}"#)
        let raw = try #require(await client.nextRaw())
        #expect(String(decoding: raw, as: UTF8.self) == #"{"jsonrpc":"2.0","id":\#(id),"result":null}"#)
    }

    @Test func notificationsAreNeverAnswered() async throws {
        let probe = ConcurrencyProbe()
        let client = client(probe: probe)
        client.send(#"{"jsonrpc":"2.0","method":"note"}"#)
        client.send(#"{"jsonrpc":"2.0","method":"unknown/notification","params":{}}"#)
        client.send(#"{"jsonrpc":"2.0","method":"echo","params":{"value":1}}"#)
        let response = try await client.call(#"{"jsonrpc":"2.0","id":"after","method":"echo"}"#)
        #expect(response?["id"] == "after")
        #expect(probe.notes == 1)
        client.closeInput()
        _ = await client.exitCode()
        #expect(client.inbox.drain().isEmpty)
    }

    @Test func unknownMethodGetsMethodNotFound() async throws {
        let response = try await client().call(#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#)
        #expect(response?.errorCode == -32601)
        #expect(response?["error"]?["data"]?["method"] == "nope")
    }

    @Test(
        "invalid params name the field and the reason",
        arguments: [
            (#"{}"#, "count", "is required"),
            (#"{"count":"three"}"#, "count", "must be an integer"),
            (#"{"count":1,"tags":[1]}"#, "tags[0]", "must be a string"),
            (#"{"count":1,"nested":{"flag":"yes"}}"#, "nested.flag", "must be a boolean"),
            (#"{"count":null}"#, "count", "must be an integer, not null"),
            (#"[1,2]"#, "", "params must be an object with named fields"),
        ]
    )
    func invalidParamsNameTheField(params: String, field: String, reason: String) async throws {
        let response = try await client().call(#"{"jsonrpc":"2.0","id":1,"method":"typed","params":\#(params)}"#)
        #expect(response?.errorCode == -32602)
        #expect(response?["error"]?["data"]?["field"] == .string(field))
        #expect(response?["error"]?["data"]?["reason"] == .string(reason))
    }

    @Test(arguments: Framing.allCases)
    func parseErrorThenNextMessageIsServed(framing: Framing) async throws {
        let client = client(framing: framing)
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"echo""#)
        let error = try await client.next()
        #expect(error?.errorCode == -32700)
        #expect(error?["id"] == .null)
        let next = try await client.call(#"{"jsonrpc":"2.0","id":2,"method":"echo","params":{"value":true}}"#)
        #expect(next?["result"] == true)
    }

    @Test func invalidRequestIsMinus32600() async throws {
        let response = try await client().call(#"{"jsonrpc":"2.0","id":9,"params":{}}"#)
        #expect(response?.errorCode == -32600)
        #expect(response?["id"] == 9)
        #expect(response?["error"]?["data"]?["field"] == "method")
    }

    @Test func emptyBatchGetsOneErrorObject() async throws {
        let response = try await client().call("[]")
        #expect(response?.errorCode == -32600)
        #expect(response?["id"] == .null)
    }

    @Test func batchAnswersRequestsInOrderAndSkipsNotifications() async throws {
        let probe = ConcurrencyProbe()
        let client = client(probe: probe)
        let batch = """
            [{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"milliseconds":30}},\
            {"jsonrpc":"2.0","method":"note"},\
            {"jsonrpc":"2.0","id":"b","method":"echo","params":{"value":"x"}},\
            42,\
            {"jsonrpc":"2.0","id":3,"method":"missing"}]
            """
        let response = try await client.call(batch)
        let elements = try #require(response?.arrayValue)
        #expect(elements.count == 4)
        #expect(elements[0]["id"] == 1 && elements[0]["result"] == .object([:]))
        #expect(elements[1]["id"] == "b" && elements[1]["result"] == "x")
        #expect(elements[2]["id"] == .null && elements[2].errorCode == -32600)
        #expect(elements[3]["id"] == 3 && elements[3].errorCode == -32601)
        #expect(probe.notes == 1)
    }

    @Test func batchOfOnlyNotificationsWritesNothing() async throws {
        let client = client()
        client.send(#"[{"jsonrpc":"2.0","method":"note"},{"jsonrpc":"2.0","method":"note"}]"#)
        let response = try await client.call(#"{"jsonrpc":"2.0","id":"marker","method":"echo"}"#)
        #expect(response?["id"] == "marker")
    }

    @Test func internalErrorsAreGeneric() async throws {
        let response = try await client().call(#"{"jsonrpc":"2.0","id":1,"method":"crash"}"#)
        #expect(response?.errorCode == -32603)
        #expect(response?["error"]?["message"] == "Internal error; the server log has the details")
    }

    @Test(arguments: [#"5"#, #""job-\u0035""#])
    func cancelRequestAnswersMinus32800(id: String) async throws {
        let client = client()
        client.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"sleep","params":{"milliseconds":60000}}"#)
        let cancelID = id.hasPrefix("\"") ? #""job-5""# : id
        client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":\#(cancelID)}}"#)
        let raw = try #require(await client.nextRaw(timeout: .seconds(20)))
        let response = try JSONValue.parse(raw)
        #expect(response.errorCode == -32800)
        #expect(String(decoding: raw, as: UTF8.self).contains(#""id":\#(id),"#))
    }

    @Test func cancellationGetsThroughWhenEverySlotIsBusy() async throws {
        let client = client(configuration: ConnectionConfiguration(maximumConcurrentRequests: 1))
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"milliseconds":60000}}"#)
        client.send(#"{"jsonrpc":"2.0","id":2,"method":"sleep","params":{"milliseconds":60000}}"#)
        client.send(#"{"jsonrpc":"2.0","id":3,"method":"echo","params":{"value":3}}"#)
        client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}"#)
        client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#)
        var byID: [JSONValue: JSONValue] = [:]
        for _ in 0..<3 {
            let response = try #require(try await client.next(timeout: .seconds(20)))
            byID[response["id"] ?? .null] = response
        }
        #expect(byID[1]?.errorCode == -32800)
        #expect(byID[2]?.errorCode == -32800)
        #expect(byID[3]?["result"] == 3)
    }

    @Test func aSilentCancellationStopsTheRequestWithoutAResponse() async throws {
        let probe = ConcurrencyProbe()
        let client = client(probe: probe)
        client.send(#"{"jsonrpc":"2.0","id":1,"method":"sleep","params":{"milliseconds":60000}}"#)
        client.send(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"user"}}"#)
        // The next message is the answer to the next request: nothing for the cancelled one.
        let next = try #require(try await client.call(#"{"jsonrpc":"2.0","id":2,"method":"echo","params":{"value":2}}"#))
        #expect(next["id"] == 2 && next["result"] == 2)
        #expect(await client.nextRaw(timeout: .milliseconds(300)) == nil)
    }

    @Test func cancellingAnUnknownRequestIsIgnored() async throws {
        let client = client()
        client.send(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":404}}"#)
        let response = try await client.call(#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"value":1}}"#)
        #expect(response?["result"] == 1)
    }

    @Test func concurrencyIsBounded() async throws {
        let probe = ConcurrencyProbe()
        let client = client(probe: probe, configuration: ConnectionConfiguration(maximumConcurrentRequests: 3))
        for index in 0..<12 {
            client.send(#"{"jsonrpc":"2.0","id":\#(index),"method":"sleep","params":{"milliseconds":20}}"#)
        }
        var ids = Set<JSONValue>()
        for _ in 0..<12 {
            let response = try #require(try await client.next())
            ids.insert(response["id"] ?? .null)
        }
        #expect(ids.count == 12)
        #expect(probe.maximum <= 3)
        #expect(probe.maximum >= 2, "requests should overlap")
    }

    @Test(arguments: Framing.allCases)
    func manyConcurrentResponsesAreNeverInterleaved(framing: Framing) async throws {
        let client = client(framing: framing)
        let count = 500
        var batch: [UInt8] = []
        for index in 0..<count {
            let value = String(repeating: "v", count: index % 300)
            framing.frame(
                Array(#"{"jsonrpc":"2.0","id":\#(index),"method":"echo","params":{"value":"\#(value)"}}"#.utf8),
                into: &batch)
        }
        client.sendRaw(batch)
        client.closeInput()
        #expect(await client.exitCode() == 0)
        let messages = client.inbox.drain()
        #expect(messages.count == count)
        var seen = Set<Int64>()
        for message in messages {
            let response = try JSONValue.parse(message)
            guard case .int(let id)? = response["id"] else {
                Issue.record("bad id")
                continue
            }
            #expect(response["result"] == .string(String(repeating: "v", count: Int(id) % 300)))
            seen.insert(id)
        }
        #expect(seen.count == count)
    }

    @Test func endOfInputFinishesRequestsInFlight() async throws {
        let client = client()
        for index in 0..<20 {
            client.send(#"{"jsonrpc":"2.0","id":\#(index),"method":"sleep","params":{"milliseconds":50}}"#)
        }
        client.closeInput()
        #expect(await client.exitCode() == 0)
        let responses = try client.inbox.drain().map { try JSONValue.parse($0) }
        #expect(responses.count == 20)
        #expect(responses.allSatisfy { $0["result"] == .object([:]) })
    }

    @Test(arguments: Framing.allCases)
    func oversizedMessageIsRejectedAndTheStreamResynchronises(framing: Framing) async throws {
        let client = client(framing: framing, configuration: ConnectionConfiguration(maximumMessageSize: 4096))
        let body =
            #"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"value":""#
            + String(repeating: "x", count: 5 * 1024 * 1024)
            + #""}}"#
        for chunk in Chunking.fixed(65536).split(framing.frame(Array(body.utf8))) { client.sendRaw(Array(chunk)) }
        let error = try await client.next()
        #expect(error?.errorCode == -32004)
        #expect(error?["id"] == .null)
        #expect(error?["error"]?["data"]?["limit"] == 4096)
        let next = try await client.call(#"{"jsonrpc":"2.0","id":2,"method":"echo","params":{"value":"ok"}}"#)
        #expect(next?["result"] == "ok")
    }

    @Test func finalLineWithoutNewlineIsAnsweredAtEndOfInput() async throws {
        let client = client()
        client.sendRaw(Array(#"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"value":2}}"#.utf8))
        client.closeInput()
        #expect(await client.exitCode() == 0)
        let response = try JSONValue.parse(try #require(client.inbox.drain().first))
        #expect(response["result"] == 2)
    }

    @Test func requestForANotificationMethodIsInvalid() async throws {
        let response = try await client().call(#"{"jsonrpc":"2.0","id":1,"method":"note"}"#)
        #expect(response?.errorCode == -32600)
    }
}
