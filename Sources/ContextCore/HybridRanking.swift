/// How a search ranks its candidates, and the signals each hit reports.
///
/// - lexical: the lexical score (`ContextService.lexicalScore`: 0.7 × share of query terms present + 0.3 × bm25
///   mapped to 0…1).
/// - semantic: the cosine similarity of query and item embeddings (negative values count as 0).
/// - hybrid: `(1 − w)·cosine + w·lexical`, a normalised-score combination rather than reciprocal rank
///   fusion: both signals are already on a 0…1 scale, and a rank-only fusion lets a long tail of weak
///   any-word lexical matches outvote a strong semantic match (docs/search.md has the measurements).
///   An item one signal did not return scores 0 on that signal: both lists are deep enough (`depth`) that
///   what is missing from one would score low there anyway.
///
/// The lexical score needs the item's text, so items are read in order of the highest score they could
/// reach (`candidates()`: share of terms taken as 1) and reading stops once the hits in hand beat every
/// unread bound. Every hit reports `lexical`, `lexicalRank` (its rank in the full-text index's bm25 order),
/// `semantic`, `semanticRank` (by cosine) for the signals that found it, and the fused `score`.
package struct HybridRanking {
    /// How many candidates each signal contributes to a hybrid or semantic search.
    package static let depth = 50

    private let mode: SearchMode
    private let lexicalWeight: Double
    private var lexical: [ItemID: (rank: Int, bm25: Double)] = [:]
    private var semantic: [ItemID: (rank: Int, cosine: Double)] = [:]
    private var order: [ItemID] = []

    /// `lexical` in the store's bm25 order, `semantic` best first.
    init(mode: SearchMode, lexicalWeight: Double, lexical: [LexicalHit], semantic: [(id: ItemID, score: Float)]) {
        self.mode = mode
        self.lexicalWeight = lexicalWeight
        if mode != .semantic {
            for (index, hit) in lexical.enumerated() where self.lexical[hit.id] == nil {
                self.lexical[hit.id] = (index + 1, min(1, max(0, hit.score)))
                order.append(hit.id)
            }
        }
        if mode != .lexical {
            for (index, hit) in semantic.enumerated() where self.semantic[hit.id] == nil {
                self.semantic[hit.id] = (index + 1, Double(hit.score))
                if self.lexical[hit.id] == nil { order.append(hit.id) }
            }
        }
    }

    /// Every candidate with the highest score it can reach, highest first (ties by id).
    func candidates() -> [(id: ItemID, bound: Double)] {
        order.map { id in (id, combine(lexical: lexical[id].map { 0.7 + 0.3 * $0.bm25 }, cosine: semantic[id]?.cosine)) }
            .sorted { $0.bound != $1.bound ? $0.bound > $1.bound : $0.id < $1.id }
    }

    /// The bm25 strength (0…1) the full-text index gave `id`, if it found it.
    func bm25(_ id: ItemID) -> Double? { lexical[id]?.bm25 }

    /// The fused score and signals of `id`, given its lexical score (computed from its text).
    func score(_ id: ItemID, lexicalScore: Double?) -> (Double, [String: Double]) {
        var signals: [String: Double] = [:]
        if let lexicalScore, let hit = lexical[id] {
            signals["lexical"] = lexicalScore
            signals["lexicalRank"] = Double(hit.rank)
        }
        if let hit = semantic[id] {
            signals["semantic"] = hit.cosine
            signals["semanticRank"] = Double(hit.rank)
        }
        return (combine(lexical: lexical[id] == nil ? nil : lexicalScore, cosine: semantic[id]?.cosine), signals)
    }

    private func combine(lexical: Double?, cosine: Double?) -> Double {
        switch mode {
        case .lexical: lexical ?? 0
        case .semantic: max(0, cosine ?? 0)
        case .hybrid: min(1, (1 - lexicalWeight) * max(0, cosine ?? 0) + lexicalWeight * (lexical ?? 0))
        }
    }
}
