/// The one error type of SentenceEmbedding: what went wrong with the model files or the input, in words a
/// user can act on (which file, what was expected).
package struct SentenceEmbeddingError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable, Hashable {
        /// A required model file is absent or unreadable (run scripts/fetch-model.sh, or set MEMCTX_MODEL_DIR).
        case modelFilesMissing
        /// A model file is there but not what the encoder needs (wrong shape, dtype, or not the expected format).
        case invalidModelFile
        /// The text to embed cannot be embedded.
        case invalidInput
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
