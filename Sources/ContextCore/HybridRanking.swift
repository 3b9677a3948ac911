/// How a search ranks its candidates, and the signals each hit reports.
///
/// - lexical: the lexical score (`ContextService.lexicalScore`: share of query terms present, plus bm25).
/// - semantic: the cosine similarity of query and item embeddings (negative values count as 0).
/// - hybrid: `(1 − w)·cosine + w·lexical`, a normalised-score combination rather than reciprocal rank
///   fusion: both signals are already on a 0…1 scale, and a rank-only fusion lets a long tail of weak
///   any-word lexical matches outvote a strong semantic match (docs/search.md has the measurements).
///   An item one signal did not return scores 0 on that signal: both lists are deep enough (`depth`) that
///   what is missing from one would score low there anyway.
///
/// Every hit reports `lexical`, `lexicalRank`, `semantic`, `semanticRank` for the signals that found it
/// (ranks from 1), and the fused `score`.
struct HybridRanking {
    /// How many candidates each signal contributes to a hybrid or semantic search.
    static let depth = 50

    private let mode: SearchMode
    private let lexicalWeight: Double
    private let lexical: [ItemID: (rank: Int, score: Double)]
    private let semantic: [ItemID: (rank: Int, score: Double)]

    init(mode: SearchMode, lexicalWeight: Double, lexical: [(ItemID, Double)], semantic: [(ItemID, Double)]) {
        self.mode = mode
        self.lexicalWeight = lexicalWeight
        self.lexical = Self.ranked(lexical)
        self.semantic = Self.ranked(semantic)
    }

    /// The fused score and signals of `id`, or nil when no signal of this mode found it.
    func score(_ id: ItemID) -> (Double, [String: Double])? {
        let lexicalHit = lexical[id]
        let semanticHit = semantic[id]
        var signals: [String: Double] = [:]
        if let lexicalHit {
            signals["lexical"] = lexicalHit.score
            signals["lexicalRank"] = Double(lexicalHit.rank)
        }
        if let semanticHit {
            signals["semantic"] = semanticHit.score
            signals["semanticRank"] = Double(semanticHit.rank)
        }
        switch mode {
        case .lexical:
            guard let lexicalHit else { return nil }
            return (lexicalHit.score, signals)
        case .semantic:
            guard let semanticHit else { return nil }
            return (max(0, semanticHit.score), signals)
        case .hybrid:
            guard lexicalHit != nil || semanticHit != nil else { return nil }
            let cosine = max(0, semanticHit?.score ?? 0)
            let fused = (1 - lexicalWeight) * cosine + lexicalWeight * (lexicalHit?.score ?? 0)
            return (min(1, fused), signals)
        }
    }

    private static func ranked(_ scores: [(ItemID, Double)]) -> [ItemID: (rank: Int, score: Double)] {
        let ordered = scores.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        var ranks: [ItemID: (rank: Int, score: Double)] = [:]
        for (index, entry) in ordered.enumerated() where ranks[entry.0] == nil {
            ranks[entry.0] = (index + 1, entry.1)
        }
        return ranks
    }
}
