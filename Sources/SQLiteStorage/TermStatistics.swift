import Foundation
import GRDB
import Synchronization

/// How many items of a kind hold each word (FTS5's document frequency), remembered for a while.
///
/// fts5vocab counts a word's items by walking its whole posting list: 2–3 ms for a word in most of 100,000
/// items, on every query that names it. Lexical search uses the counts only to plan (which words carry
/// weight, how many items a query will match), so a count up to `lifetime` old is good enough: a stale
/// count can make a query slower or rank a few more or fewer of its newest matches, never hide an item.
final class TermStatistics: Sendable {
    private struct Entry: Sendable {
        var items: Int
        var readAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// How long a count is trusted.
    let lifetime: Duration
    /// Words remembered at most (the cache is emptied when it is full).
    let capacity: Int

    init(lifetime: Duration = .seconds(30), capacity: Int = 50_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The number of items holding each of `terms` (0 for a word no item holds), from memory when fresh,
    /// else from the `vocabulary` table (an fts5vocab 'row' table).
    func itemCounts(_ terms: [String], vocabulary: String, _ db: Database) throws -> [String: Int] {
        let now = ContinuousClock.now
        var counts: [String: Int] = [:]
        let missing: [String] = entries.withLock { entries in
            var missing: [String] = []
            for term in Set(terms) {
                if let entry = entries[vocabulary + ":" + term], now - entry.readAt < lifetime {
                    counts[term] = entry.items
                } else {
                    missing.append(term)
                }
            }
            return missing
        }
        guard !missing.isEmpty else { return counts }
        let rows = try db.rows(
            sql: "SELECT term, doc FROM \(vocabulary) WHERE term IN (\(SQLiteDocumentStore.placeholders(missing.count)))",
            arguments: StatementArguments(missing)
        )
        var fresh = Dictionary(uniqueKeysWithValues: missing.map { ($0, 0) })
        for row in rows { fresh[row["term"] as String] = row["doc"] as Int }
        counts.merge(fresh) { _, new in new }
        entries.withLock { entries in
            if entries.count + fresh.count > capacity { entries.removeAll(keepingCapacity: true) }
            // A word no item holds is not remembered: the next write may add it, and looking it up is cheap.
            for (term, items) in fresh where items > 0 { entries[vocabulary + ":" + term] = Entry(items: items, readAt: now) }
        }
        return counts
    }
}
