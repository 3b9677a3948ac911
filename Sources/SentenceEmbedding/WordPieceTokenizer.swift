package import Foundation

/// The BERT *uncased* WordPiece tokenizer of sentence-transformers/all-MiniLM-L6-v2: Hugging Face's
/// `BertNormalizer` + `BertPreTokenizer` + `WordPiece`, reimplemented so that token ids are identical to
/// what sentence-transformers feeds the model (checked against the golden fixtures and
/// `bert_tokenizer_ref.py`, the pure-Python spec this follows step by step).
///
/// Pipeline for one text:
/// 1. Literal special tokens (`[CLS]`, `[SEP]`, `[MASK]`, `[PAD]`, `[UNK]`, case-sensitive) are cut out of the
///    raw text first and kept as their own ids, as Hugging Face does with `added_tokens`.
/// 2. Clean: drop U+0000, U+FFFD and every Cc, Cf, Co scalar except `\t \n \r` (removed, not replaced by a
///    space, so `a\u{200B}b` is one word); whitespace (`\t \n \r`, space, category Zs, and
///    U+2028/U+2029) separates words.
/// 3. Every CJK ideograph (Hugging Face's ranges, see `isCJKIdeograph`) becomes a word of its own.
/// 4. NFD, drop category Mn, lowercase every scalar on its own (no context: Σ is always σ, never ς).
/// 5. Every punctuation scalar (ASCII 33–47, 58–64, 91–96, 123–126, or category P*) becomes a word of its own.
/// 6. WordPiece: greedy longest match against the vocabulary, continuation pieces spelt `##…`; a word of more
///    than 100 scalars, or one with a remainder no piece matches, becomes a single `[UNK]`.
///
/// The Unicode properties come from the Swift standard library, so characters assigned or recategorised after
/// the Unicode version the reference was run with (Python 3.11: Unicode 14) may tokenize differently; those
/// are rare characters that the reference itself does not agree on across implementations.
package struct WordPieceTokenizer: Sendable {
    /// The longest id sequence sentence-transformers gives the model (`max_seq_length` in
    /// `sentence_bert_config.json`; `tokenizer.json`'s 128 is not what it uses): `[CLS]`, 254 pieces, `[SEP]`.
    package static let maxSequenceLength = 256

    /// A word longer than this (in scalars, after normalisation) is one `[UNK]`, as in Hugging Face's WordPiece.
    static let maxScalarsPerWord = 100

    /// The special tokens Hugging Face keeps whole when they appear literally in the text.
    static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

    /// How many cleaned scalars are normalised at once: big enough that the Foundation NFD call is amortised,
    /// small enough that `encode` of a huge text stops soon after it has its 254 pieces.
    static let batchLength = 1024

    private let vocabulary: [String]
    private let trie: VocabularyTrie
    private let unknownID: Int32
    private let classID: Int32
    private let separatorID: Int32
    /// The special tokens present in the vocabulary, as scalars, with their ids.
    private let specialLiterals: [SpecialLiteral]

    /// Builds the tokenizer from the lines of `vocab.txt`: `vocabulary[i]` is the token with id `i`.
    ///
    /// - Precondition: the vocabulary contains `[UNK]`, `[CLS]` and `[SEP]` (`init(contentsOf:)` checks this and
    ///   throws instead).
    package init(vocabulary: [String]) {
        var firstID: [String: Int32] = [:]
        for (index, token) in vocabulary.enumerated() where firstID[token] == nil {
            // The first line wins for a duplicated token, as in the reference's `load_vocab`.
            firstID[token] = Int32(index)
        }
        guard let unknown = firstID["[UNK]"], let cls = firstID["[CLS]"], let sep = firstID["[SEP]"] else {
            preconditionFailure("a WordPiece vocabulary needs [UNK], [CLS] and [SEP]")
        }
        self.vocabulary = vocabulary
        self.trie = VocabularyTrie(vocabulary: vocabulary)
        self.unknownID = unknown
        self.classID = cls
        self.separatorID = sep
        self.specialLiterals = Self.specialTokens.compactMap { token in
            firstID[token].map { SpecialLiteral(scalars: token.unicodeScalars.map(\.value), id: $0) }
        }
    }

    /// Loads `vocab.txt` (UTF-8, one token per line, line number = id).
    package init(contentsOf vocabURL: URL) throws(SentenceEmbeddingError) {
        let name = vocabURL.lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: vocabURL)
        } catch {
            throw SentenceEmbeddingError(.modelFilesMissing, "cannot read \(name): \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SentenceEmbeddingError(.invalidModelFile, "\(name) is not UTF-8 text")
        }
        // Split on "\n" bytes, not Characters: "\r\n" is a single Character in Swift and would not split. A
        // trailing "\r" is dropped (Python's universal newlines do the same); the final newline ends the last
        // line rather than starting an empty one.
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...], as: UTF8.self)
        }
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty else {
            throw SentenceEmbeddingError(.invalidModelFile, "\(name) is empty")
        }
        let present = Set(lines)
        let missing = ["[UNK]", "[CLS]", "[SEP]"].filter { !present.contains($0) }
        guard missing.isEmpty else {
            throw SentenceEmbeddingError(
                .invalidModelFile,
                "\(name) lacks \(missing.joined(separator: ", ")); it is not a BERT WordPiece vocabulary"
            )
        }
        self.init(vocabulary: lines)
    }

    /// The number of lines (ids) in the vocabulary; must equal the model's `vocab_size`.
    package var vocabularySize: Int { vocabulary.count }

    /// The word pieces of `text` as strings, without `[CLS]`/`[SEP]` and without truncation (literal special
    /// tokens in the text appear as themselves). For tests and diagnostics; the model uses `encode`.
    package func tokenize(_ text: String) -> [String] {
        var ids: [Int32] = []
        appendPieceIDs(of: text, to: &ids, limit: .max)
        return ids.map { vocabulary[Int($0)] }
    }

    /// The ids the model sees: `[CLS]`, the first `maxLength - 2` word pieces, `[SEP]`.
    ///
    /// Work stops shortly after enough pieces are found, so a huge text costs little more than its beginning.
    /// `maxLength` below 2 is treated as 2 (`[CLS]` and `[SEP]` are always there).
    package func encode(_ text: String, maxLength: Int = maxSequenceLength) -> [Int32] {
        let pieceLimit = max(maxLength, 2) - 2
        var ids: [Int32] = []
        ids.reserveCapacity(min(pieceLimit, text.utf8.count) + 2)
        ids.append(classID)
        appendPieceIDs(of: text, to: &ids, limit: pieceLimit + 1)
        if ids.count > pieceLimit + 1 { ids.removeSubrange((pieceLimit + 1)...) }
        ids.append(separatorID)
        return ids
    }

    // MARK: - Pipeline

    /// Appends the piece ids of `text` to `output` until `output.count` reaches `limit` (it may then hold a few
    /// more ids: the rest of the last word; the caller truncates).
    ///
    /// Pass 1 (here) walks the raw scalars once: it cuts out special literals, cleans, and separates words with a
    /// single space (CJK ideographs become words of their own). The cleaned scalars are collected in `batch`
    /// and handed to pass 2 (`flush`) at word boundaries.
    private func appendPieceIDs(of text: String, to output: inout [Int32], limit: Int) {
        guard output.count < limit else { return }
        let scalars = text.unicodeScalars
        var batch: [UInt32] = []
        batch.reserveCapacity(min(text.utf8.count, Self.batchLength) + 4)
        var batchIsASCII = true
        var word: [UInt32] = []
        word.reserveCapacity(64)

        /// Normalises and WordPieces the batch; false when `limit` is reached.
        func flush() -> Bool {
            guard !batch.isEmpty else { return true }
            let proceed = appendNormalizedBatch(batch, isASCII: batchIsASCII, word: &word, to: &output, limit: limit)
            batch.removeAll(keepingCapacity: true)
            batchIsASCII = true
            return proceed
        }
        func appendBoundary() {
            if let last = batch.last, last != 0x20 { batch.append(0x20) }
        }

        var index = scalars.startIndex
        let end = scalars.endIndex
        while index < end {
            let scalar = scalars[index]
            let value = scalar.value
            if value == 0x5B, let special = specialLiteral(in: scalars, at: index) {
                // Cut out before any cleaning, on the raw text (as Hugging Face's added tokens are matched):
                // "[MA\u{200B}SK]" is not a special token, it becomes "[", "mask", "]".
                guard flush() else { return }
                output.append(special.id)
                guard output.count < limit else { return }
                index = special.end
                continue
            }
            scalars.formIndex(after: &index)

            if value < 0x80 {
                if value == 0x20 || value == 0x09 || value == 0x0A || value == 0x0D {
                    appendBoundary()
                } else if value < 0x20 || value == 0x7F {
                    continue  // Cc: removed
                } else {
                    batch.append(value)
                    continue
                }
            } else if Self.isCJKIdeograph(value) {
                // Tested before the category lookup: these ranges hold only letters and unassigned scalars.
                batchIsASCII = false
                appendBoundary()
                batch.append(value)
                batch.append(0x20)
            } else {
                if value == 0xFFFD { continue }
                switch scalar.properties.generalCategory {
                case .control, .format, .privateUse, .surrogate:
                    continue  // removed, not replaced by a space
                case .spaceSeparator, .lineSeparator, .paragraphSeparator:
                    // Zs is whitespace for the normalizer; U+2028/U+2029 (Zl/Zp) survive cleaning but both
                    // Python's str.split() and Rust's char::is_whitespace split on them.
                    appendBoundary()
                default:
                    batchIsASCII = false
                    batch.append(value)
                    continue
                }
            }
            // Only here, right after a word boundary, may the batch be cut: a word must be normalised whole
            // (its length after NFD and dropping marks decides the 100-scalar rule).
            if batch.count >= Self.batchLength {
                guard flush() else { return }
            }
        }
        _ = flush()
    }

    /// Pass 2: NFD (only when the batch has non-ASCII scalars: ASCII is its own NFD and has no marks), drop
    /// Mn, lowercase scalar by scalar, split on spaces and punctuation, and WordPiece each word.
    /// Returns false once `output.count` reaches `limit`.
    private func appendNormalizedBatch(
        _ batch: [UInt32], isASCII: Bool, word: inout [UInt32], to output: inout [Int32], limit: Int
    ) -> Bool {
        word.removeAll(keepingCapacity: true)

        /// Ends the current word; false once the limit is reached.
        func endWord() -> Bool {
            guard !word.isEmpty else { return true }
            appendWordPieces(word, to: &output)
            word.removeAll(keepingCapacity: true)
            return output.count < limit
        }
        /// Appends one normalised (lowercased) scalar: punctuation is a word of its own.
        func append(_ value: UInt32, isPunctuation: Bool) -> Bool {
            guard isPunctuation else {
                word.append(value)
                return true
            }
            guard endWord() else { return false }
            word.append(value)
            return endWord()
        }

        /// One ASCII scalar: a space ends the word, punctuation is a word of its own, A–Z are lowercased.
        func appendASCII(_ value: UInt32) -> Bool {
            if value == 0x20 { return endWord() }
            if Self.isASCIIPunctuation(value) { return append(value, isPunctuation: true) }
            word.append(value &- 0x41 < 26 ? value | 0x20 : value)
            return true
        }

        if isASCII {
            for value in batch {
                guard appendASCII(value) else { return false }
            }
            return endWord()
        }

        // Whole-batch NFD is the same as per-word NFD: words are separated by U+0020, which has canonical
        // combining class 0 and no decomposition, so canonical reordering never crosses it. Some non-punctuation
        // decomposes into ASCII punctuation (U+2260 ≠ → "=" + U+0338, U+1FEF → "`"), so punctuation is tested
        // only after NFD, as the reference does.
        let decomposed = Self.string(fromScalarValues: batch).decomposedStringWithCanonicalMapping
        for scalar in decomposed.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                guard appendASCII(value) else { return false }
                continue
            }
            let properties = scalar.properties
            let category = properties.generalCategory
            if category == .nonspacingMark { continue }  // accents stripped (before lowercasing, as HF does)
            if properties.changesWhenLowercased {
                // The full, context-free mapping (may be several scalars). Never String.lowercased(): it maps a
                // word-final Σ to ς, Hugging Face (Rust char::to_lowercase) always gives σ.
                for lowered in properties.lowercaseMapping.unicodeScalars {
                    guard append(lowered.value, isPunctuation: Self.isPunctuation(lowered)) else { return false }
                }
            } else {
                guard append(value, isPunctuation: Self.isPunctuation(category)) else { return false }
            }
        }
        return endWord()
    }

    /// WordPiece for one normalised word: greedy longest match from the left, whole word `[UNK]` on failure.
    private func appendWordPieces(_ word: [UInt32], to output: inout [Int32]) {
        guard word.count <= Self.maxScalarsPerWord else {
            output.append(unknownID)
            return
        }
        let firstPiece = output.count
        var start = 0
        while start < word.count {
            // The trie walk finds the longest vocabulary entry starting at `start` in one pass; that is the
            // entry the reference's "shrink `end` until found" loop finds first.
            guard let match = trie.longestMatch(in: word, from: start) else {
                output.removeSubrange(firstPiece...)
                output.append(unknownID)
                return
            }
            output.append(match.id)
            start = match.end
        }
    }

    /// The String of `values` (valid scalar values, as pass 1 collects them). Encoded to UTF-8 by hand because
    /// `String(decoding:as: UTF32.self)` takes a slow, scalar-by-scalar path.
    private static func string(fromScalarValues values: [UInt32]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 3)
        for value in values {
            switch value {
            case ..<0x80:
                bytes.append(UInt8(truncatingIfNeeded: value))
            case ..<0x800:
                bytes.append(UInt8(truncatingIfNeeded: 0xC0 | value >> 6))
                bytes.append(UInt8(truncatingIfNeeded: 0x80 | value & 0x3F))
            case ..<0x10000:
                bytes.append(UInt8(truncatingIfNeeded: 0xE0 | value >> 12))
                bytes.append(UInt8(truncatingIfNeeded: 0x80 | value >> 6 & 0x3F))
                bytes.append(UInt8(truncatingIfNeeded: 0x80 | value & 0x3F))
            default:
                bytes.append(UInt8(truncatingIfNeeded: 0xF0 | value >> 18))
                bytes.append(UInt8(truncatingIfNeeded: 0x80 | value >> 12 & 0x3F))
                bytes.append(UInt8(truncatingIfNeeded: 0x80 | value >> 6 & 0x3F))
                bytes.append(UInt8(truncatingIfNeeded: 0x80 | value & 0x3F))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Character classes

    /// A literal special token starting at `index` (which holds "["), compared scalar by scalar on the raw text.
    private func specialLiteral(
        in scalars: String.UnicodeScalarView, at index: String.UnicodeScalarView.Index
    ) -> (id: Int32, end: String.UnicodeScalarView.Index)? {
        candidates: for special in specialLiterals {
            var position = index
            for expected in special.scalars {
                guard position < scalars.endIndex, scalars[position].value == expected else { continue candidates }
                scalars.formIndex(after: &position)
            }
            return (special.id, position)
        }
        return nil
    }

    /// Hugging Face's CJK ranges, verbatim: note 2B920 (not 2B820, where the original Python BERT starts the
    /// range). Kana and Hangul are not included and stay inside words.
    static func isCJKIdeograph(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Every printable ASCII scalar that is not a letter, digit or space counts, so the symbols $ + < = > ^ | ~ and
    /// the backtick split words too (their categories are S*, not P*).
    @inline(__always)
    static func isASCIIPunctuation(_ value: UInt32) -> Bool {
        (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value)
            || (123...126).contains(value)
    }

    static func isPunctuation(_ category: Unicode.GeneralCategory) -> Bool {
        switch category {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x80 ? isASCIIPunctuation(scalar.value) : isPunctuation(scalar.properties.generalCategory)
    }
}

/// A special token as scalars, for matching it literally in the raw text.
private struct SpecialLiteral: Sendable {
    var scalars: [UInt32]
    var id: Int32
}

/// Two tries over the vocabulary in one table: from `wordStartRoot` every token as spelt; from
/// `continuationRoot` every `##` token without its `##`. Walking a trie gives the longest match in one pass,
/// without building a String per candidate substring.
///
/// Edges live in an open-addressing hash table keyed by (parent node, scalar), which is compact (~30k tokens
/// give ~100k edges) and faster than a Dictionary because the hash is a single multiplication.
private struct VocabularyTrie: Sendable {
    static let wordStartRoot: Int32 = 0
    static let continuationRoot: Int32 = 1
    private static let emptyKey = UInt64.max

    /// `edgeKeys[slot]` = parent << 21 | scalar, or `emptyKey`; `edgeChildren[slot]` is the child node.
    private let edgeKeys: [UInt64]
    private let edgeChildren: [Int32]
    private let shift: UInt64
    private let mask: Int
    /// The token id a node spells, or -1.
    private let tokenIDs: [Int32]

    init(vocabulary: [String]) {
        var edges: [UInt64: Int32] = [:]
        var tokenIDs: [Int32] = [-1, -1]
        func insert(_ scalars: some Sequence<Unicode.Scalar>, root: Int32, id: Int32) {
            var node = root
            for scalar in scalars {
                let key = Self.key(node, scalar.value)
                if let child = edges[key] {
                    node = child
                } else {
                    let child = Int32(tokenIDs.count)
                    tokenIDs.append(-1)
                    edges[key] = child
                    node = child
                }
            }
            if tokenIDs[Int(node)] < 0 { tokenIDs[Int(node)] = id }  // first occurrence wins
        }
        for (index, token) in vocabulary.enumerated() where !token.isEmpty {
            let id = Int32(index)
            let scalars = token.unicodeScalars
            insert(scalars, root: Self.wordStartRoot, id: id)
            // "##" itself would be an empty continuation: never looked up, since a piece has at least one scalar.
            if scalars.count > 2, scalars.starts(with: "##".unicodeScalars) {
                insert(scalars.dropFirst(2), root: Self.continuationRoot, id: id)
            }
        }

        // Load factor at most 1/2 keeps linear probes short.
        var bits = 4
        while (1 << bits) < edges.count * 2 { bits += 1 }
        var keys = [UInt64](repeating: Self.emptyKey, count: 1 << bits)
        var children = [Int32](repeating: -1, count: 1 << bits)
        let shift = UInt64(64 - bits)
        let mask = (1 << bits) - 1
        for (key, child) in edges {
            var slot = Self.slot(for: key, shift: shift)
            while keys[slot] != Self.emptyKey { slot = (slot + 1) & mask }
            keys[slot] = key
            children[slot] = child
        }
        self.edgeKeys = keys
        self.edgeChildren = children
        self.shift = shift
        self.mask = mask
        self.tokenIDs = tokenIDs
    }

    @inline(__always)
    private static func key(_ node: Int32, _ scalar: UInt32) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 21 | UInt64(scalar)
    }

    /// Fibonacci hashing: the top bits of key × 2⁶⁴/φ.
    @inline(__always)
    private static func slot(for key: UInt64, shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The longest vocabulary entry matching `word[start...]` from its start (a `##` entry unless
    /// `start == 0`): its token id and the index after it.
    func longestMatch(in word: [UInt32], from start: Int) -> (id: Int32, end: Int)? {
        edgeKeys.withUnsafeBufferPointer { keys in
            edgeChildren.withUnsafeBufferPointer { children in
                tokenIDs.withUnsafeBufferPointer { ids in
                    var node = start == 0 ? Self.wordStartRoot : Self.continuationRoot
                    var best: (id: Int32, end: Int)?
                    var position = start
                    walk: while position < word.count {
                        let key = Self.key(node, word[position])
                        var slot = Self.slot(for: key, shift: shift)
                        while true {
                            let found = keys[slot]
                            if found == key { break }
                            if found == Self.emptyKey { break walk }
                            slot = (slot + 1) & mask
                        }
                        node = children[slot]
                        position += 1
                        let id = ids[Int(node)]
                        if id >= 0 { best = (id, position) }
                    }
                    return best
                }
            }
        }
    }
}
