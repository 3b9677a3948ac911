import ArgumentParser
import ContextProtocol
import ContextServer
import Foundation
import JSONRPC
import Logging

/// `memctx serve`: JSON-RPC on stdin/stdout until end of input or `exit`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve JSON-RPC on stdin/stdout (the default command).",
        discussion: """
            Reads requests from stdin and writes responses to stdout, in the framing the client uses
            (LSP Content-Length headers, or one JSON message per line). Logs go to stderr. At end of input
            memctx answers every request in flight and exits 0; `shutdown` then `exit` exits 0, `exit`
            alone exits 1.

            Examples:
              printf '%s\\n' '{"jsonrpc":"2.0","id":1,"method":"ping"}' | memctx serve
              memctx serve --framing lsp --max-concurrency 8
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "memctx")
        let protocolOutput = StandardStreams.takeProtocolOutput()
        let output = FileDescriptorOutput(descriptor: protocolOutput) { errorNumber in
            logger.notice("client closed the output stream", metadata: ["errno": "\(errorNumber)"])
        }
        let configuration = connection.configuration
        let framing = connection.framing
        let exitCode = try await CompositionRoot.withServer(logger: logger) { server in
            let connection = Connection(configuration: configuration, dispatcher: server, output: output, logger: logger)
            logger.info("serving on stdio", metadata: ["version": "\(ServerIdentity.version)", "framing": "\(framing.rawValue)"])
            return await connection.run(input: FileDescriptorInput(descriptor: STDIN_FILENO))
        }
        logger.debug("connection closed", metadata: ["exitCode": "\(exitCode)"])
        // The stdin reader thread may still be blocked in read(2); leave without waiting for it.
        Foundation.exit(exitCode)
    }
}
