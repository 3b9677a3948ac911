import Foundation

/// Progress of `reindex`, reported after every batch.
package struct ReindexProgress: Sendable {
    package var kind: ItemKind
    /// Items of this kind embedded so far in this run.
    package var done: Int
    /// Items of this kind that lacked a vector when the run reached them.
    package var total: Int
}

extension ContextService {
    /// Embeds every stored item that has no vector by the current model (saved while the model was missing,
    /// made by another model, or whose embedding failed), in batches. Returns how many of each kind it embedded.
    package func reindex(batchSize: Int = 32, progress: (ReindexProgress) -> Void = { _ in }) async throws(ContextError)
        -> [ItemKind: Int]
    {
        guard let semantic else {
            throw ContextError(.unsupported, "reindexing needs the embedding model, which is not installed (run scripts/fetch-model.sh or set MEMCTX_MODEL_DIR)")
        }
        var counts: [ItemKind: Int] = [:]
        for kind in ItemKind.allCases {
            let coverage = try await storage("counting vectors") { try await store.embeddingCoverage(kind, model: semantic.modelID) }
            var report = ReindexProgress(kind: kind, done: 0, total: max(0, coverage.total - coverage.embedded))
            progress(report)
            var previous: [ItemID] = []
            while true {
                let ids = try await storage("finding items without vectors") {
                    try await store.itemsWithoutEmbedding(kind, model: semantic.modelID, limit: batchSize)
                }
                // The same batch twice means its vectors did not stick: stop rather than loop.
                guard !ids.isEmpty, ids != previous else { break }
                previous = ids
                let items: [FoundItem]
                switch kind {
                case .session: items = try await storage("reading sessions") { try await store.sessions(ids: ids) }.map(FoundItem.session)
                case .checkpoint: items = try await storage("reading checkpoints") { try await store.checkpoints(ids: ids) }.map(FoundItem.checkpoint)
                case .pattern: items = try await storage("reading patterns") { try await store.patterns(ids: ids) }.map(FoundItem.pattern)
                }
                guard !items.isEmpty else { break }
                try await storage("embedding items") { try await semantic.index(items, at: currentDate()) }
                report.done += items.count
                report.total = max(report.total, report.done)
                progress(report)
            }
            counts[kind] = report.done
        }
        return counts
    }
}
