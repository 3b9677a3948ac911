import ArgumentParser
import ContextProtocol

/// The `memctx` command line. With no subcommand it serves JSON-RPC on stdio.
struct MemctxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memctx",
        abstract: "Memory and context server for AI coding agents and editors (JSON-RPC 2.0 over stdio).",
        discussion: """
            With no subcommand, memctx serves JSON-RPC on stdin/stdout, reading LSP (Content-Length) or
            newline-delimited JSON framing as the client sends it.

            Examples:
              echo '{"jsonrpc":"2.0","id":1,"method":"health"}' | memctx
              memctx call health --pretty
              memctx serve --framing lsp --log-level debug
              memctx embed "The cat sits outside" | jq length
            """,
        version: ServerIdentity.version,
        subcommands: [
            ServeCommand.self, CallCommand.self, EmbedCommand.self, ReindexCommand.self, SyncCommand.self, MigrateCommand.self,
            ExportCommand.self, ImportCommand.self, PurgeCommand.self, DoctorCommand.self, BenchCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

}

/// The entry point the `memctx` executable calls, so it needs no import but ContextCLI.
package enum MemctxMain {
    package static func run() async {
        await MemctxCommand.main()
    }
}
