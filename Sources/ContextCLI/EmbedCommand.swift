import ArgumentParser
import Foundation
import SentenceEmbedding

/// `memctx embed`: sentence embeddings on stdout, for scripts and other tools.
struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print the all-MiniLM-L6-v2 embedding of a text as a JSON array.",
        discussion: """
            Prints the 384-dimensional, L2-normalised vector sentence-transformers gives for the text, as one
            compact JSON array. With '-' (or no text) the text is read from stdin. With --lines, every input
            line is embedded on its own and one array is printed per line (empty lines included).
            The model comes from MEMCTX_MODEL_DIR, else models/all-MiniLM-L6-v2 in MEMCTX_HOME
            (scripts/fetch-model.sh installs it there).

            Examples:
              memctx embed "The cat sits outside" | jq length
              printf 'first sentence\\nsecond one\\n' | memctx embed --lines -
              memctx embed --tokens "Hello, world!"
            """
    )

    @Argument(help: ArgumentHelp("The text to embed, or '-' to read stdin.", valueName: "text"))
    var text: String?

    @Flag(help: "Embed each input line separately, one JSON array per line.")
    var lines = false

    @Flag(help: "Print the token ids the model sees instead of the vector.")
    var tokens = false

    func run() async throws {
        let environment = MemctxEnvironment()
        let model: SentenceEmbeddingModel
        do {
            model = try SentenceEmbeddingModel(directory: environment.modelDirectory)
        } catch {
            throw CommandFailure(error.message)
        }
        let input: String
        if let text, text != "-" {
            input = text
        } else {
            input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        var texts = [input]
        if lines {
            texts = input.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
            if input.hasSuffix("\n") { texts.removeLast() }
        }
        var output = ""
        if tokens {
            for text in texts { output += "[" + model.tokenIDs(text).map(String.init).joined(separator: ",") + "]\n" }
        } else {
            // Batches of 64 keep memory flat for long inputs.
            var start = 0
            while start < texts.count {
                let batch = Array(texts[start..<min(texts.count, start + 64)])
                for vector in model.embed(batch) { output += "[" + vector.map { "\($0)" }.joined(separator: ",") + "]\n" }
                start += batch.count
                FileHandle.standardOutput.write(Data(output.utf8))
                output = ""
            }
        }
        FileHandle.standardOutput.write(Data(output.utf8))
    }
}
