/// Splits text into search terms: lower-cased runs of letters and digits of two or more characters,
/// de-duplicated in order of appearance. The lexical index and pattern similarity both use it.
package enum TextTerms {
    package static let maximumTerms = 32

    package static func terms(in text: String, limit: Int = maximumTerms) -> [String] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return asciiTerms(in: text, limit: limit) }
        var seen = Set<String>()
        var result: [String] = []
        var current = ""
        func flush() {
            if current.count >= 2, seen.insert(current).inserted { result.append(current) }
            current = ""
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else {
                flush()
                if result.count >= limit { break }
            }
        }
        flush()
        return Array(result.prefix(limit))
    }

    /// The same rule on ASCII text, byte by byte (most text agents store is ASCII).
    private static func asciiTerms(in text: String, limit: Int) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(32)
        func flush() {
            if current.count >= 2 {
                let term = String(decoding: current, as: UTF8.self)
                if seen.insert(term).inserted { result.append(term) }
            }
            current.removeAll(keepingCapacity: true)
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): current.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(byte | 0x20)
            default:
                flush()
                if result.count >= limit { return result }
            }
        }
        flush()
        return Array(result.prefix(limit))
    }

    /// Every term (no limit), as a set, for similarity.
    package static func termSet(_ text: String) -> Set<String> {
        Set(terms(in: text, limit: Int.max))
    }
}

/// The similarity that decides whether `savePattern` merges: the Jaccard index of the term sets of
/// `name + description + template` (|A ∩ B| / |A ∪ B|, 0…1). Patterns merge at ≥ 0.7 when they share type
/// and project.
package enum PatternSimilarity {
    package static func text(of pattern: Pattern) -> String {
        [pattern.name, pattern.description ?? "", pattern.template ?? ""].joined(separator: " ")
    }

    package static func similarity(_ lhs: Pattern, _ rhs: Pattern) -> Double {
        jaccard(TextTerms.termSet(text(of: lhs)), TextTerms.termSet(text(of: rhs)))
    }

    package static func jaccard(_ lhs: Set<String>, _ rhs: Set<String>) -> Double {
        if lhs.isEmpty && rhs.isEmpty { return 1 }
        let union = lhs.union(rhs).count
        return union == 0 ? 0 : Double(lhs.intersection(rhs).count) / Double(union)
    }
}
