import ArgumentParser
import JSONRPC
import Logging
import Testing

@testable import ContextCLI

@Suite("Command line parsing")
struct CommandParsingTests {
    @Test(
        arguments: [
            ("1048576", 1_048_576), ("16MiB", 16 << 20), ("16mb", 16 << 20), ("512KiB", 512 << 10), ("1GiB", 1 << 30),
            ("64", 64), ("100 MiB", 100 << 20), ("7b", 7),
        ]
    )
    func byteCountsParse(text: String, bytes: Int) {
        #expect(ByteCount(argument: text)?.bytes == bytes)
    }

    @Test(arguments: ["", "MiB", "-1", "ten", "1.5MiB", "99999999999999999999GiB"])
    func badByteCountsAreRejected(text: String) {
        #expect(ByteCount(argument: text) == nil)
    }

    @Test func serveOptionsParse() throws {
        let command = try MemctxCommand.parseAsRoot([
            "serve", "--framing", "lsp", "--max-message-size", "2MiB", "--max-concurrency", "8", "--log-level", "debug",
        ])
        let serve = try #require(command as? ServeCommand)
        let configuration = serve.connection.configuration
        #expect(configuration.framing == .lsp)
        #expect(configuration.maximumMessageSize == 2 << 20)
        #expect(configuration.maximumConcurrentRequests == 8)
        #expect(try serve.logging.resolvedLevel(environment: [:]) == .debug)
    }

    @Test func noSubcommandMeansServe() throws {
        let command = try MemctxCommand.parseAsRoot(["--framing", "ndjson"])
        let serve = try #require(command as? ServeCommand)
        #expect(serve.connection.configuration.framing == .ndjson)
        #expect(serve.connection.configuration.maximumMessageSize == 16 << 20)
    }

    @Test func logLevelPrecedenceIsFlagThenEnvironmentThenInfo() throws {
        let flagged = try LoggingOptions.parse(["--log-level", "error"])
        #expect(try flagged.resolvedLevel(environment: ["MEMCTX_LOG_LEVEL": "trace"]) == .error)
        let unflagged = try LoggingOptions.parse([])
        #expect(try unflagged.resolvedLevel(environment: ["MEMCTX_LOG_LEVEL": "TRACE"]) == .trace)
        #expect(try unflagged.resolvedLevel(environment: [:]) == .info)
        #expect(throws: ValidationError.self) { try unflagged.resolvedLevel(environment: ["MEMCTX_LOG_LEVEL": "loud"]) }
    }

    @Test func callParsesMethodAndParams() throws {
        let command = try MemctxCommand.parseAsRoot(["call", "health", "--params", "{}", "--pretty"])
        let call = try #require(command as? CallCommand)
        #expect(call.method == "health")
        #expect(call.params == "{}")
        #expect(call.pretty)
    }

    @Test func rejectsZeroConcurrency() {
        #expect(throws: (any Error).self) { try MemctxCommand.parseAsRoot(["serve", "--max-concurrency", "0"]) }
    }
}
