import CBLAS
import Dispatch
package import Foundation

/// sentence-transformers/all-MiniLM-L6-v2, run natively: WordPiece tokenizer → 6-layer BERT → mean pooling →
/// L2 normalisation, giving the same 384-dimensional vectors as sentence-transformers.
///
/// Loads the standard Hugging Face files from one directory: `config.json`, `vocab.txt`, `model.safetensors`
/// (memory-mapped). `embed` is synchronous CPU work; servers use `SentenceEmbedder`, which runs it on its
/// own thread.
package final class SentenceEmbeddingModel: Sendable {
    /// The id stored with every vector this model makes.
    package static let modelID = "sentence-transformers/all-MiniLM-L6-v2"
    /// The files a model directory must hold.
    package static let requiredFiles = ["config.json", "vocab.txt", "model.safetensors"]

    package let directory: URL
    package let tokenizer: WordPieceTokenizer
    private let encoder: BertEncoder

    package var dimension: Int { encoder.configuration.hiddenSize }

    /// Loads the model in `directory`. Takes well under a second: the weights are mapped, not read.
    package init(directory: URL) throws(SentenceEmbeddingError) {
        self.directory = directory
        let missing = Self.requiredFiles.filter {
            !FileManager.default.isReadableFile(atPath: directory.appendingPathComponent($0).path)
        }
        guard missing.isEmpty else {
            throw SentenceEmbeddingError(
                .modelFilesMissing,
                "the model directory \(directory.path) lacks \(missing.joined(separator: ", ")); run scripts/fetch-model.sh or set MEMCTX_MODEL_DIR"
            )
        }
        let configuration = try BertConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        let tokenizer = try WordPieceTokenizer(contentsOf: directory.appendingPathComponent("vocab.txt"))
        guard tokenizer.vocabularySize == configuration.vocabularySize else {
            throw SentenceEmbeddingError(
                .invalidModelFile,
                "vocab.txt has \(tokenizer.vocabularySize) entries but config.json says vocab_size \(configuration.vocabularySize)"
            )
        }
        if case .failure(let error) = OpenBLAS.functions { throw error }
        self.tokenizer = tokenizer
        self.encoder = try BertEncoder(weights: directory.appendingPathComponent("model.safetensors"), configuration: configuration)
    }

    /// Token ids of `text` as the model sees them: `[CLS]`, at most 254 word pieces, `[SEP]`.
    package func tokenIDs(_ text: String) -> [Int32] {
        tokenizer.encode(text, maxLength: min(WordPieceTokenizer.maxSequenceLength, encoder.configuration.maxPositions))
    }

    /// One L2-normalised vector per text. Texts are processed in input order, in batches of at most 4,096 tokens.
    package func embed(_ texts: [String]) -> [[Float]] {
        embed(tokenized: texts.map(tokenIDs))
    }

    /// One vector per id sequence (each from `tokenIDs`).
    package func embed(tokenized sequences: [[Int32]]) -> [[Float]] {
        // Batches bounded in tokens keep the scratch buffers small; each stacks its sentences without padding.
        let tokenBudget = 4096
        var results = [[Float]](repeating: [], count: sequences.count)
        var batch: [Int] = []
        var tokens = 0
        func flush() {
            guard !batch.isEmpty else { return }
            // A short batch (one search query) is bound by streaming the 42 MB of layer weights, not by
            // arithmetic: a second OpenBLAS thread adds no speed there, only hand-offs that stretch the tail
            // when the other core is busy. Longer batches use every core.
            OpenBLAS.loaded.setThreads(Int32(tokens < Self.multithreadingThreshold ? 1 : Self.coreCount))
            let vectors = encoder.embed(batch.map { sequences[$0] })
            for (index, vector) in zip(batch, vectors) { results[index] = vector }
            batch.removeAll(keepingCapacity: true)
            tokens = 0
        }
        for index in sequences.indices {
            if tokens + sequences[index].count > tokenBudget { flush() }
            batch.append(index)
            tokens += sequences[index].count
        }
        flush()
        return results
    }

    /// Batches of fewer tokens run the matrix products on one thread (measured: docs/performance.md).
    static let multithreadingThreshold = 24
    private static let coreCount = Int32(max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// How OpenBLAS was built and which kernel it chose for this CPU, for `health` and benchmarks.
    package static var blasDescription: String {
        guard case .success(let blas) = OpenBLAS.functions else { return "OpenBLAS (not loaded)" }
        let config = blas.config().map { String(cString: $0) } ?? "OpenBLAS"
        let core = blas.corename().map { String(cString: $0) } ?? "unknown"
        return "\(config.trimmingCharacters(in: .whitespaces)) (kernel \(core))"
    }
}
