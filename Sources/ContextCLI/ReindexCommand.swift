import ArgumentParser
import ContextCore
import Foundation

/// `memctx reindex`: embeds every stored item that has no vector by the current model.
struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Embed the stored items that lack a vector by the current model.",
        discussion: """
            Finds sessions, checkpoints and patterns saved while the model was missing, embedded by another
            model, or whose embedding failed, and embeds them in batches, with progress on stderr. Safe to
            run while servers use the same database; running it twice does nothing the second time.

            Example:
              memctx reindex
            """
    )

    @Option(help: "Items per batch.")
    var batchSize = 32

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...1024).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1024") }
    }

    func run() async throws {
        let logger = try logging.bootstrap(label: "memctx")
        let batchSize = batchSize
        let counts = try await CompositionRoot.withService(logger: logger) { service, _ in
            guard let counts = try await CompositionRoot.embedMissing(service, label: "reindex", batchSize: batchSize) else {
                throw CommandFailure("no embedding model in \(MemctxEnvironment().modelDirectory.path): run scripts/fetch-model.sh or set MEMCTX_MODEL_DIR")
            }
            return counts
        }
        let summary = ItemKind.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)s" }.joined(separator: ", ")
        FileHandle.standardError.write(Data("reindex: embedded \(summary)\n".utf8))
    }
}
