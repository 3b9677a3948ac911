import ArgumentParser
import ContextProtocol
import ContextServer
import Foundation

/// `memctx sync`: pushes the local outbox to the central repository now.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Push the changes waiting in the local database to the central repository now.",
        discussion: """
            With MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL set, every write is committed to the local database
            first and pushed to the central repository at once when it can be reached; what could not be
            pushed waits in the local outbox, and a running server replays it in the background when the
            central repository returns. This command probes the central repository and pushes everything
            waiting now (for every process sharing the local database), with progress on stderr. It prints
            the result as JSON on stdout and exits with 1 when something is left.

            Example:
              memctx sync
            """
    )

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "memctx")
        let result = try await CompositionRoot.withService(logger: logger) { _, configuration in
            guard let syncNow = configuration.syncNow else {
                throw CommandFailure(
                    "no central repository is configured: set MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL (see docs/configuration.md)")
            }
            let bar = ProgressBar(label: "sync")
            defer { bar.finish() }
            return await syncNow { pushed, total in bar.update("changes", done: pushed, total: total) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        FileHandle.standardOutput.write(try encoder.encode(result) + Data("\n".utf8))
        let line =
            result.pending == 0
            ? "sync: \(result.pushed) changes pushed; nothing waits"
            : "sync: \(result.pushed) pushed, \(result.pending) still waiting: \(result.detail ?? "see memctx doctor")"
        FileHandle.standardError.write(Data("\(line)\n".utf8))
        if result.pending > 0 { throw ExitCode(1) }
    }
}
