import ArgumentParser
import ContextProtocol
import ContextServer
import Foundation
import JSONRPC
import Logging

/// `memctx call METHOD`: one request, answered in-process, result on stdout.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call one method and print its result as JSON.",
        discussion: """
            The result goes to stdout (compact JSON, or indented with --pretty); an error goes to stderr as
            JSON and the exit code is 1. Params are a JSON object, given inline or read from stdin with '-'.

            Examples:
              memctx call health --pretty
              memctx call rpc.discover | jq '.methods[].name'
              echo '{"project": "*"}' | memctx call stats --params -
            """
    )

    @Argument(help: "The method to call, e.g. health.")
    var method: String

    @Option(help: ArgumentHelp("Params as a JSON object, or '-' to read them from stdin.", valueName: "json"))
    var params: String?

    @Flag(help: "Indent the JSON output.")
    var pretty = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var logger = try logging.bootstrap(label: "memctx")
        if logging.logLevel == nil, ProcessInfo.processInfo.environment["MEMCTX_LOG_LEVEL"] == nil {
            logger.logLevel = .warning
        }
        let paramsText = try readParams()
        let request = try makeRequest(paramsText: paramsText)
        let output = CollectingOutput()
        try await CompositionRoot.withServer(logger: logger) { server in
            let connection = Connection(
                // LSP framing, so params spread over several lines (as `jq` writes them) stay one message.
                configuration: ConnectionConfiguration(framing: .lsp),
                dispatcher: server,
                output: output,
                logger: logger
            )
            _ = await connection.run(input: ChunkedInput([Framing.lsp.frame(request)]))
        }

        var framer = ContentLengthFramer(maximumMessageSize: Int.max)
        framer.append(output.bytes)
        guard case .message(let payload) = framer.next() else {
            throw ValidationError("no response from the server")
        }
        let response = try WireCoding.makeDecoder().decode(CallResponse.self, from: Data(payload))
        if let error = response.error {
            FileHandle.standardError.write(Data(try render(error) + [UInt8(ascii: "\n")]))
            throw ExitCode(1)
        }
        FileHandle.standardOutput.write(Data(try render(response.result ?? .null) + [UInt8(ascii: "\n")]))
    }

    private struct CallResponse: Decodable {
        var result: JSONValue?
        var error: JSONRPCError?
    }

    private func readParams() throws -> String? {
        guard let params else { return nil }
        guard params == "-" else { return params }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("--params -: stdin is not UTF-8 text")
        }
        return text
    }

    private func makeRequest(paramsText: String?) throws -> [UInt8] {
        var request = #"{"jsonrpc":"2.0","id":1,"method":"# + JSONText.quoted(method)
        if let paramsText {
            let trimmed = paramsText.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(trimmed.utf8)) else {
                throw ValidationError("--params: not valid JSON: \(trimmed.prefix(80))")
            }
            guard case .object = value else {
                throw ValidationError("--params: must be a JSON object, e.g. '{\"limit\": 5}'")
            }
            request += #","params":"# + trimmed
        }
        request += "}"
        return Array(request.utf8)
    }

    private func render(_ value: some Encodable) throws -> [UInt8] {
        let encoder = WireCoding.makeEncoder()
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        return Array(try encoder.encode(value))
    }
}
