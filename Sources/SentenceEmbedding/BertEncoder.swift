import CBLAS
import CKernels
package import Foundation

/// The shape of a BERT encoder, read from the model's `config.json`.
package struct BertConfiguration: Sendable, Hashable {
    package var hiddenSize = 384
    package var layerCount = 6
    package var headCount = 12
    package var intermediateSize = 1536
    package var vocabularySize = 30522
    package var maxPositions = 512
    package var layerNormEpsilon: Float = 1e-12

    package init() {}

    /// Reads `config.json`; refuses anything but a BERT with the exact (erf) GELU.
    package init(contentsOf url: URL) throws(SentenceEmbeddingError) {
        guard let data = try? Data(contentsOf: url) else {
            throw SentenceEmbeddingError(.modelFilesMissing, "cannot read \(url.lastPathComponent)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SentenceEmbeddingError(.invalidModelFile, "\(url.lastPathComponent) is not a JSON object")
        }
        func integer(_ key: String) throws(SentenceEmbeddingError) -> Int {
            guard let value = (object[key] as? NSNumber)?.intValue, value > 0 else {
                throw SentenceEmbeddingError(.invalidModelFile, "\(url.lastPathComponent): '\(key)' is missing or not a positive integer")
            }
            return value
        }
        if let type = object["model_type"] as? String, type != "bert" {
            throw SentenceEmbeddingError(.invalidModelFile, "\(url.lastPathComponent): model_type '\(type)' is not 'bert'")
        }
        if let activation = object["hidden_act"] as? String, activation != "gelu" {
            throw SentenceEmbeddingError(.invalidModelFile, "\(url.lastPathComponent): hidden_act '\(activation)' is not supported (only 'gelu')")
        }
        hiddenSize = try integer("hidden_size")
        layerCount = try integer("num_hidden_layers")
        headCount = try integer("num_attention_heads")
        intermediateSize = try integer("intermediate_size")
        vocabularySize = try integer("vocab_size")
        maxPositions = try integer("max_position_embeddings")
        if let epsilon = (object["layer_norm_eps"] as? NSNumber)?.floatValue { layerNormEpsilon = epsilon }
        guard hiddenSize % headCount == 0 else {
            throw SentenceEmbeddingError(.invalidModelFile, "\(url.lastPathComponent): hidden_size is not a multiple of num_attention_heads")
        }
    }
}

/// A BERT encoder over memory-mapped safetensors weights, with mean pooling and L2 normalisation: the
/// sentence-transformers pipeline of all-MiniLM-L6-v2 after the tokenizer.
///
/// Dense layers are OpenBLAS `cblas_sgemm` calls over the whole batch at once: the tokens of every sentence
/// are stacked into one matrix (no padding, so no wasted work and no masking), and only attention is
/// computed per sentence. Float32 throughout, as the model is stored; the result is within 2e-7 or so of a
/// float64 reference.
final class BertEncoder: @unchecked Sendable {
    // @unchecked: the weight pointers point into the read-only mapping owned by `file`, which lives as long as
    // `self`; nothing is ever written through them, and `embed` allocates its own scratch buffers per call.
    private struct Dense {
        var weight: UnsafePointer<Float>  // [out, in], as PyTorch stores it
        var bias: UnsafePointer<Float>
        var inputs: Int
        var outputs: Int
    }

    private struct Norm {
        var weight: UnsafePointer<Float>
        var bias: UnsafePointer<Float>
    }

    private struct Layer {
        var query, key, value, attentionOutput, intermediate, output: Dense
        var attentionNorm, outputNorm: Norm
    }

    let configuration: BertConfiguration
    private let file: SafeTensorsFile
    private let wordEmbeddings: UnsafePointer<Float>
    private let positionEmbeddings: UnsafePointer<Float>
    private let tokenTypeEmbeddings: UnsafePointer<Float>
    private let embeddingNorm: Norm
    private let layers: [Layer]

    init(weights url: URL, configuration: BertConfiguration) throws(SentenceEmbeddingError) {
        self.configuration = configuration
        let file = try SafeTensorsFile(url: url)
        self.file = file
        let hidden = configuration.hiddenSize
        wordEmbeddings = try file.floats("embeddings.word_embeddings.weight", shape: [configuration.vocabularySize, hidden])
        positionEmbeddings = try file.floats("embeddings.position_embeddings.weight", shape: [configuration.maxPositions, hidden])
        // token_type_ids are all 0 for a single sentence, but the row is added all the same.
        tokenTypeEmbeddings = try file.floats("embeddings.token_type_embeddings.weight", shape: [2, hidden])
        func norm(_ prefix: String) throws(SentenceEmbeddingError) -> Norm {
            Norm(weight: try file.floats(prefix + ".weight", shape: [hidden]), bias: try file.floats(prefix + ".bias", shape: [hidden]))
        }
        func dense(_ prefix: String, _ inputs: Int, _ outputs: Int) throws(SentenceEmbeddingError) -> Dense {
            Dense(
                weight: try file.floats(prefix + ".weight", shape: [outputs, inputs]),
                bias: try file.floats(prefix + ".bias", shape: [outputs]),
                inputs: inputs,
                outputs: outputs
            )
        }
        embeddingNorm = try norm("embeddings.LayerNorm")
        var layers: [Layer] = []
        let inner = configuration.intermediateSize
        for index in 0..<configuration.layerCount {
            let p = "encoder.layer.\(index)."
            layers.append(
                Layer(
                    query: try dense(p + "attention.self.query", hidden, hidden),
                    key: try dense(p + "attention.self.key", hidden, hidden),
                    value: try dense(p + "attention.self.value", hidden, hidden),
                    attentionOutput: try dense(p + "attention.output.dense", hidden, hidden),
                    intermediate: try dense(p + "intermediate.dense", hidden, inner),
                    output: try dense(p + "output.dense", inner, hidden),
                    attentionNorm: try norm(p + "attention.output.LayerNorm"),
                    outputNorm: try norm(p + "output.LayerNorm")
                )
            )
        }
        self.layers = layers
    }

    /// Sentence embeddings (mean-pooled over every token, [CLS] and [SEP] included, then L2-normalised) for
    /// each sequence of token ids. Every sequence must be non-empty, within `maxPositions`, ids in range.
    func embed(_ sequences: [[Int32]]) -> [[Float]] {
        let hidden = configuration.hiddenSize
        let total = sequences.reduce(0) { $0 + $1.count }
        guard total > 0 else { return sequences.map { _ in [Float](repeating: 0, count: hidden) } }
        let longest = sequences.map(\.count).max() ?? 0
        let x = UnsafeMutablePointer<Float>.allocate(capacity: total * hidden)
        let q = UnsafeMutablePointer<Float>.allocate(capacity: total * hidden)
        let k = UnsafeMutablePointer<Float>.allocate(capacity: total * hidden)
        let v = UnsafeMutablePointer<Float>.allocate(capacity: total * hidden)
        let context = UnsafeMutablePointer<Float>.allocate(capacity: total * hidden)
        let wide = UnsafeMutablePointer<Float>.allocate(capacity: total * configuration.intermediateSize)
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: longest * longest)
        defer {
            for buffer in [x, q, k, v, context, wide, scores] { buffer.deallocate() }
        }

        embedTokens(sequences, into: x)
        for layer in layers {
            dense(layer.query, x, rows: total, into: q)
            dense(layer.key, x, rows: total, into: k)
            dense(layer.value, x, rows: total, into: v)
            var start = 0
            for sequence in sequences {
                attention(q + start * hidden, k + start * hidden, v + start * hidden, tokens: sequence.count, scores: scores, into: context + start * hidden)
                start += sequence.count
            }
            // x = LayerNorm(context·Wᵀ + b + x)
            dense(layer.attentionOutput, context, rows: total, into: x, residual: true)
            VectorKernels.layerNorm(x, count: total, width: hidden, weight: layer.attentionNorm.weight, bias: layer.attentionNorm.bias, epsilon: configuration.layerNormEpsilon)
            dense(layer.intermediate, x, rows: total, into: wide)
            VectorKernels.gelu(wide, count: total * configuration.intermediateSize)
            dense(layer.output, wide, rows: total, into: x, residual: true)
            VectorKernels.layerNorm(x, count: total, width: hidden, weight: layer.outputNorm.weight, bias: layer.outputNorm.bias, epsilon: configuration.layerNormEpsilon)
        }
        return pool(x, sequences: sequences)
    }

    private func embedTokens(_ sequences: [[Int32]], into x: UnsafeMutablePointer<Float>) {
        let hidden = configuration.hiddenSize
        var row = 0
        for sequence in sequences {
            for (position, id) in sequence.enumerated() {
                let out = x + row * hidden
                let word = wordEmbeddings + Int(id) * hidden
                let place = positionEmbeddings + position * hidden
                for i in 0..<hidden { out[i] = word[i] + place[i] + tokenTypeEmbeddings[i] }
                row += 1
            }
        }
        VectorKernels.layerNorm(x, count: row, width: hidden, weight: embeddingNorm.weight, bias: embeddingNorm.bias, epsilon: configuration.layerNormEpsilon)
    }

    /// `output = input·Wᵀ + b` (plus `output` itself when `residual`), for `rows` rows.
    private func dense(_ layer: Dense, _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, residual: Bool = false) {
        if residual {
            VectorKernels.addBias(layer.bias, to: output, into: output, rows: rows, width: layer.outputs)
        } else {
            VectorKernels.broadcast(layer.bias, into: output, rows: rows, width: layer.outputs)
        }
        if rows <= Self.fewRows, Self.fewRowsKernel {
            memctx_dense_few_rows(Int32(rows), Int32(layer.inputs), Int32(layer.outputs), input, layer.weight, output)
            return
        }
        OpenBLAS.loaded.sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans,
            Int32(rows), Int32(layer.outputs), Int32(layer.inputs),
            1, input, Int32(layer.inputs), layer.weight, Int32(layer.inputs),
            1, output, Int32(layer.outputs)
        )
    }

    /// Up to this many rows (tokens in the batch, the batches OpenBLAS would run on one thread), dense layers
    /// run `memctx_dense_few_rows` (CKernels) rather than OpenBLAS: a GEMM packs the 42 MB of weights before
    /// using them, which for a short query costs more than the arithmetic; the kernel streams them once
    /// (docs/performance.md). Longer batches are the GEMM's, on every core.
    static let fewRows = SentenceEmbeddingModel.multithreadingThreshold - 1

    /// Whether the CPU has the kernel's instructions (AVX2 and FMA); without them every product is OpenBLAS's.
    static let fewRowsKernel = memctx_dense_few_rows_available()

    /// Multi-head self-attention of one sentence: per head, softmax(QKᵀ/√d)·V into its slice of `output`.
    private func attention(
        _ q: UnsafePointer<Float>,
        _ k: UnsafePointer<Float>,
        _ v: UnsafePointer<Float>,
        tokens: Int,
        scores: UnsafeMutablePointer<Float>,
        into output: UnsafeMutablePointer<Float>
    ) {
        let hidden = configuration.hiddenSize
        let headSize = hidden / configuration.headCount
        let scale = 1 / Float(headSize).squareRoot()
        for head in 0..<configuration.headCount {
            let offset = head * headSize
            OpenBLAS.loaded.sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans,
                Int32(tokens), Int32(tokens), Int32(headSize),
                scale, q + offset, Int32(hidden), k + offset, Int32(hidden),
                0, scores, Int32(tokens)
            )
            VectorKernels.softmaxRows(scores, count: tokens, width: tokens)
            OpenBLAS.loaded.sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans,
                Int32(tokens), Int32(headSize), Int32(tokens),
                1, scores, Int32(tokens), v + offset, Int32(hidden),
                0, output + offset, Int32(hidden)
            )
        }
    }

    /// Mean over each sentence's tokens (in Double), then division by max(‖v‖, 1e-12).
    private func pool(_ x: UnsafePointer<Float>, sequences: [[Int32]]) -> [[Float]] {
        let hidden = configuration.hiddenSize
        var start = 0
        var vectors: [[Float]] = []
        vectors.reserveCapacity(sequences.count)
        var sums = [Double](repeating: 0, count: hidden)
        for sequence in sequences {
            for i in 0..<hidden { sums[i] = 0 }
            for row in start..<(start + sequence.count) {
                let values = x + row * hidden
                for i in 0..<hidden { sums[i] += Double(values[i]) }
            }
            start += sequence.count
            let count = Double(max(sequence.count, 1))
            var norm = 0.0
            for i in 0..<hidden {
                sums[i] /= count
                norm += sums[i] * sums[i]
            }
            let divisor = max(norm.squareRoot(), 1e-12)
            vectors.append(sums.map { Float($0 / divisor) })
        }
        return vectors
    }
}
