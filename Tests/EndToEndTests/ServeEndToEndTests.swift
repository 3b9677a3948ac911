import ContextTesting
import Foundation
import JSONRPC
import Testing

/// Drives the built `memctx` binary over pipes, as editors, agents and scripts do.
@Suite("memctx serve over pipes", .serialized)
struct ServeEndToEndTests {
    @Test(arguments: Framing.allCases)
    func initializeCallShutdownExit(framing: Framing) throws {
        let server = try ServerProcess(arguments: ["--log-level", "error"], framing: framing)
        try server.send(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"clientInfo":{"name":"e2e"},"capabilities":{}}}"#
        )
        let initialize = try #require(try server.next())
        #expect(initialize["result"]?["serverInfo"]?["name"] == "memctx")
        try server.send(#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#)
        try server.send(#"{"jsonrpc":"2.0","id":"h","method":"health"}"#)
        let health = try #require(try server.next())
        #expect(health["id"] == "h")
        #expect(health["result"]?["framing"] == .string(framing.rawValue))
        try server.send(#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#)
        #expect(try server.next()?["result"] == .null)
        try server.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        #expect(server.waitForExit() == 0)
        #expect(server.readRemainingStdout().isEmpty)
    }

    @Test func exitWithoutShutdownExitsOne() throws {
        let server = try ServerProcess(arguments: ["--log-level", "error"], framing: .lsp)
        try server.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        #expect(server.waitForExit() == 1)
    }

    @Test(arguments: Framing.allCases)
    func malformedMessageThenValidOne(framing: Framing) throws {
        let server = try ServerProcess(arguments: ["--log-level", "critical"], framing: framing)
        try server.send(#"{"jsonrpc":"2.0","id":1,"method":"#)
        let error = try #require(try server.next())
        #expect(error.errorCode == -32700)
        #expect(error["id"] == .null)
        try server.send(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#)
        #expect(try server.next()?["id"] == 2)
        try server.closeInput()
        #expect(server.waitForExit() == 0)
    }

    @Test func lspHeaderWithoutContentLengthDoesNotKillTheServer() throws {
        let server = try ServerProcess(arguments: ["--log-level", "critical"], framing: .lsp)
        try server.writeRaw(Array("Content-Type: application/json\r\n\r\n{}".utf8))
        try server.send(#"{"jsonrpc":"2.0","id":"after","method":"ping"}"#)
        let error = try #require(try server.next())
        #expect(error.errorCode == -32700)
        #expect(try server.next()?["id"] == "after")
        try server.closeInput()
        #expect(server.waitForExit() == 0)
    }

    @Test(arguments: Framing.allCases)
    func endOfInputWithRequestsInFlightAnswersThemAll(framing: Framing) throws {
        let server = try ServerProcess(arguments: ["--log-level", "error", "--max-concurrency", "4"], framing: framing)
        let count = 400
        var bytes: [UInt8] = []
        for index in 0..<count {
            let method = index % 2 == 0 ? "ping" : "health"
            framing.frame(Array(#"{"jsonrpc":"2.0","id":\#(index),"method":"\#(method)"}"#.utf8), into: &bytes)
        }
        try server.writeRaw(bytes)
        try server.closeInput()
        var ids = Set<JSONValue>()
        while let response = try server.next() {
            #expect(response["error"] == nil)
            ids.insert(response["id"] ?? .null)
        }
        #expect(ids.count == count)
        #expect(server.waitForExit() == 0)
    }

    @Test(arguments: Framing.allCases)
    func hundredMebibyteBodyIsRejectedWithBoundedMemory(framing: Framing) throws {
        let server = try ServerProcess(
            arguments: ["--log-level", "critical", "--max-message-size", "1MiB"],
            framing: framing
        )
        try server.send(#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#)
        _ = try server.next()
        let baseline = server.peakResidentKiB() ?? 0
        let size = 100 * 1024 * 1024
        let writer = Thread {
            let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1024 * 1024)
            do {
                let prefix =
                    framing == .lsp
                    ? "Content-Length: \(size + 2)\r\n\r\n\"" : "\""
                try server.writeRaw(Array(prefix.utf8))
                for _ in 0..<100 { try server.writeRaw(chunk) }
                try server.writeRaw(Array((framing == .lsp ? "\"" : "\"\n").utf8))
                try server.send(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
            } catch {
                Issue.record("writing failed: \(error)")
            }
        }
        writer.start()
        let rejection = try #require(try server.next())
        #expect(rejection.errorCode == -32004)
        #expect(rejection["id"] == .null)
        let next = try #require(try server.next())
        #expect(next["id"] == 1)
        let peak = try #require(server.peakResidentKiB())
        // 100 MiB went through; the server's peak grew by far less than that.
        #expect(peak - baseline < 24 * 1024, "peak RSS grew by \(peak - baseline) KiB")
        try server.closeInput()
        #expect(server.waitForExit() == 0)
    }

    @Test func stdoutCarriesProtocolOnlyEvenWithTraceLogging() throws {
        let server = try ServerProcess(arguments: ["--log-level", "trace"], framing: .ndjson)
        try server.send(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        try server.send(#"{"jsonrpc":"2.0","id":2,"method":"nope"}"#)
        try server.send("not json")
        try server.closeInput()
        let stdout = server.readRemainingStdout()
        #expect(server.waitForExit() == 0)
        let lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
        for line in lines {
            let message = try JSONValue.parse(String(line))
            #expect(message["jsonrpc"] == "2.0")
        }
        #expect(server.standardError.contains("serving on stdio"))
    }

    @Test func pipedRequestWithoutTrailingNewlineIsAnswered() throws {
        let server = try ServerProcess(arguments: ["--log-level", "error"], framing: .ndjson)
        try server.writeRaw(Array(#"{"jsonrpc":"2.0","id":1,"method":"health"}"#.utf8))
        try server.closeInput()
        #expect(try server.next()?["result"]?["status"] == "ok")
        #expect(server.waitForExit() == 0)
    }

    @Test func forcedFramingIsUsed() throws {
        let server = try ServerProcess(
            arguments: ["serve", "--framing", "lsp", "--log-level", "critical"], framing: .lsp)
        try server.send(#"{"jsonrpc":"2.0","id":1,"method":"health"}"#)
        #expect(try server.next()?["result"]?["framing"] == "lsp")
        try server.closeInput()
        #expect(server.waitForExit() == 0)
    }

    @Test func batchOverPipes() throws {
        let server = try ServerProcess(arguments: ["--log-level", "error"], framing: .ndjson)
        try server.send(
            #"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"initialized"},{"jsonrpc":"2.0","id":2,"method":"health"}]"#
        )
        try server.send(#"[{"jsonrpc":"2.0","method":"initialized"}]"#)
        try server.send("[]")
        try server.closeInput()
        // Responses come as they finish: the batch array and the empty-batch error, in either order.
        let first = try #require(try server.next())
        let second = try #require(try server.next())
        #expect(try server.next() == nil)
        let batch = try #require(first.arrayValue ?? second.arrayValue)
        let empty = first.arrayValue == nil ? first : second
        #expect(batch.map { $0["id"] } == [1, 2])
        #expect(empty.errorCode == -32600)
        #expect(server.waitForExit() == 0)
    }
}
