import ContextTesting
import Foundation
import JSONRPC
import Testing

/// The built binary driven by the official MCP Python SDK (PyPI `mcp`, scripts/mcp-sdk.sh) over stdio, in
/// each protocol era the SDK speaks: the initialize handshake (`legacy`), discovery with fallback (`auto`),
/// and the stateless 2026-07-28 protocol. The client lists the tools, calls every one, checks that a bad
/// argument comes back as a tool error, reads a resource and gets the `resume` prompt
/// (Tests/EndToEndTests/Clients/mcp_sdk_client.py).
@Suite(
    "MCP through the official Python SDK",
    .enabled(if: ProcessInfo.processInfo.environment["MEMCTX_MCP_PYTHON"] != nil, "MEMCTX_MCP_PYTHON is not set: run scripts/test.sh (it installs the SDK with scripts/mcp-sdk.sh)")
)
struct MCPClientEndToEndTests {
    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Clients/mcp_sdk_client.py").path

    @Test(arguments: [("legacy", "2025-11-25"), ("auto", "2026-07-28"), ("2026-07-28", "2026-07-28")])
    func theSDKUsesEveryToolResourceAndPrompt(mode: String, version: String) throws {
        let python = try #require(ProcessInfo.processInfo.environment["MEMCTX_MCP_PYTHON"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script, try ServerProcess.binaryURL().path, mode]
        process.environment = ChildEnvironment.make(["MEMCTX_HOME": ServerProcess.makeTemporaryHome(), "MEMCTX_PROJECT": "e2e"])
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stderrBox = Thread.detachedRead(errors)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = stderrBox()
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        #expect(process.terminationStatus == 0, "\(line)\n\(stderr.suffix(3000))")
        let seen = try JSONValue.parse(line)
        #expect(seen["ok"] == true, "\(line)")
        #expect(seen["protocolVersion"] == .string(version))
        guard case .array(let called)? = seen["called"], case .array(let tools)? = seen["tools"] else {
            Issue.record("no tools were called: \(line)")
            return
        }
        #expect(called.count == tools.count, "every tool called once: \(line)")
    }
}

extension Thread {
    /// Reads `pipe` to its end on a thread of its own; the returned function waits for the text.
    static func detachedRead(_ pipe: Pipe) -> () -> String {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var data = Data()
        Thread {
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        return {
            done.wait()
            return String(decoding: data, as: UTF8.self)
        }
    }
}

/// The shell and jq recipes of docs/clients.md, run as written (Tests/EndToEndTests/Clients/shell_recipes.sh).
@Suite("docs/clients.md shell recipes")
struct ShellRecipeTests {
    @Test func theRecipesWorkAsWritten() throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/shell_recipes.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        var environment = ChildEnvironment.make(["MEMCTX_HOME": ServerProcess.makeTemporaryHome(), "MEMCTX_LOG_LEVEL": "error"])
        let binaryFolder = try ServerProcess.binaryURL().deletingLastPathComponent().path
        environment["PATH"] = binaryFolder + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stderr = Thread.detachedRead(errors)
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let messages = stderr()
        #expect(process.terminationStatus == 0, "\(stdout)\n\(messages.suffix(2000))")
        #expect(stdout.contains("all passed"))
    }
}
