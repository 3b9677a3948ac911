import ContextTesting
import Foundation
import JSONRPC
import Testing

/// `memctx call`, `--version` and `--help`, run as a user would.
@Suite("memctx command line", .serialized)
struct CommandLineEndToEndTests {
    private let home = ServerProcess.makeTemporaryHome()

    private func run(_ arguments: [String], stdin: String? = nil) throws -> CommandRun {
        try CommandRun.run(arguments, stdin: stdin, environment: ["MEMCTX_HOME": home, "MEMCTX_PROJECT": "e2e"])
    }

    @Test func callPrintsTheResult() throws {
        let result = try run(["call", "health"])
        #expect(result.status == 0)
        let value = try JSONValue.parse(result.stdout)
        #expect(value["status"] == "ok")
        #expect(result.stdout.split(separator: "\n").count == 1)
    }

    @Test func callPrettyIndents() throws {
        let result = try run(["call", "ping", "--pretty"])
        #expect(result.status == 0)
        #expect(try JSONValue.parse(result.stdout) == .object([:]))
        let health = try run(["call", "health", "--pretty"])
        #expect(health.stdout.split(separator: "\n").count > 3)
    }

    @Test func callReadsParamsFromStdin() throws {
        let result = try run(["call", "stats", "--params", "-"], stdin: "{\n  \"project\": \"*\"\n}\n")
        #expect(result.status == 0)
        #expect(try JSONValue.parse(result.stdout)["project"] == "*")
    }

    @Test func callErrorGoesToStderrWithNonZeroExit() throws {
        let result = try run(["call", "noSuchMethod"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let error = try JSONValue.parse(result.stderr.split(separator: "\n").last.map(String.init) ?? "")
        #expect(error["code"] == -32601)
    }

    @Test func callRejectsParamsThatAreNotAnObject() throws {
        let invalid = try run(["call", "ping", "--params", "{nope"])
        #expect(invalid.status != 0)
        #expect(invalid.stderr.contains("--params"))
        let array = try run(["call", "ping", "--params", "[1]"])
        #expect(array.status != 0)
    }

    @Test func versionAndHelp() throws {
        let version = try run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try run(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("serve") && help.stdout.contains("call") && help.stdout.contains("Examples"))
        let callHelp = try run(["call", "--help"])
        #expect(callHelp.stdout.contains("memctx call health --pretty"))
    }

    @Test func invalidOptionsAreUsageErrors() throws {
        let framing = try run(["serve", "--framing", "xml"])
        #expect(framing.status == 64)
        let level = try run(["serve", "--log-level", "loud"])
        #expect(level.status == 64)
        #expect(level.stderr.contains("loud"))
        let concurrency = try run(["serve", "--max-concurrency", "0"])
        #expect(concurrency.status == 64)
    }

    @Test func logLevelFromEnvironmentIsValidated() throws {
        let process = Process()
        process.executableURL = try ServerProcess.binaryURL()
        process.arguments = ["call", "ping"]
        process.environment = ["MEMCTX_LOG_LEVEL": "verbose"]
        let error = Pipe()
        process.standardError = error
        process.standardOutput = Pipe()
        try process.run()
        let stderr = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 64)
        #expect(stderr.contains("MEMCTX_LOG_LEVEL"))
    }
}
