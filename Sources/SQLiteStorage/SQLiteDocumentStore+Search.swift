package import ContextCore
import Foundation
import GRDB

extension SQLiteDocumentStore {
    /// bm25 over the kind's FTS5 index, joined to its table for the filters. Scores are mapped from bm25
    /// (lower is better, negative) to s / (1 + s) with s = -bm25: 0…1, higher is better.
    ///
    /// The plan (docs/search.md, Lexical search): words held by more than half of the items are left out
    /// when rarer ones remain (FTS5's bm25 gives them no weight, yet counting them walks their whole posting
    /// list); when the remaining words are all common enough that far more than `rankedWindow` items are
    /// expected to hold them all, only the newest of those items are ranked.
    package func searchLexical(_ kind: ItemKind, terms: [String], matchAll: Bool, filter: SearchFilter, limit: Int)
        async throws -> [LexicalHit]
    {
        guard !terms.isEmpty, limit > 0 else { return [] }
        return try await database.read { db in
            try self.lexicalHits(kind, terms: terms, matchAll: matchAll, filter: filter, limit: limit, db)
        }
    }

    /// Both queries and the best hits' rows in one read (one hand-off to a reader instead of three).
    package func searchLexicalAllElseAny(_ kind: ItemKind, terms: [String], filter: SearchFilter, limit: Int, prefetch: Int)
        async throws -> LexicalResult
    {
        guard !terms.isEmpty, limit > 0 else { return LexicalResult(hits: []) }
        return try await database.read { db in
            var hits = try self.lexicalHits(kind, terms: terms, matchAll: true, filter: filter, limit: limit, db)
            if hits.isEmpty, terms.count > 1 {
                hits = try self.lexicalHits(kind, terms: terms, matchAll: false, filter: filter, limit: limit, db)
            }
            let items = try Self.fetchItems(kind, ids: hits.prefix(prefetch).map(\.id), in: db)
            return LexicalResult(hits: hits, items: items)
        }
    }

    /// Stored items of `kind` by id, in no particular order (missing ids are skipped).
    static func fetchItems(_ kind: ItemKind, ids: [ItemID], in db: Database) throws -> [FoundItem] {
        guard !ids.isEmpty else { return [] }
        let list = Self.placeholders(ids.count)
        let arguments = ids.map(\.description)
        switch kind {
        case .session:
            return try fetchSessions(db, where: "s.id IN (\(list))", arguments).map(FoundItem.session)
        case .checkpoint:
            return try db.rows(sql: "SELECT * FROM checkpoints WHERE id IN (\(list))", arguments: StatementArguments(arguments))
                .map { .checkpoint(try SQLiteValues.checkpoint($0)) }
        case .pattern:
            return try fetchPatterns(db, where: "p.id IN (\(list))", arguments).map(FoundItem.pattern)
        }
    }

    private func lexicalHits(
        _ kind: ItemKind, terms: [String], matchAll: Bool, filter: SearchFilter, limit: Int, _ db: Database
    ) throws -> [LexicalHit] {
        let (table, alias, weights): (String, String, String) =
            switch kind {
            case .session: ("sessions", "s", "5.0, 2.0, 2.0, 3.0")
            case .checkpoint: ("checkpoints", "c", "4.0, 1.0, 2.0")
            case .pattern: ("patterns", "p", "5.0, 2.0, 1.0")
            }
        var conditions = SQLConditions()
        if case .only(let project) = filter.scope { conditions.add("\(alias).project = ?", [project]) }
        if kind == .pattern, let type = filter.patternType { conditions.add("\(alias).pattern_type = ?", [type.rawValue]) }
        if kind == .pattern { conditions.add("\(alias).deprecated = 0") }
        if kind == .checkpoint, let session = filter.sessionID { conditions.add("\(alias).session_id = ?", [session.description]) }
        if kind == .session { conditions.add("\(alias).status <> 'deleted'") }
        let filters = conditions
        let items = try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM \(table)") ?? 0
        let counts = try termStatistics.itemCounts(terms, vocabulary: "\(table)_vocab", db)
        let plan = LexicalPlan(terms: terms, counts: counts, items: items, matchAll: matchAll)
        guard !plan.terms.isEmpty else { return [] }
        // Terms are letters and digits only (TextTerms), quoted as FTS5 strings; juxtaposition is AND.
        let match = plan.terms.map { "\"\($0)\"" }.joined(separator: matchAll ? " " : " OR ")
        func hits(_ rows: [Row]) -> [LexicalHit] {
            rows.compactMap { row in
                guard let id = SQLiteValues.id(row, "id") else { return nil }
                let strength = max(0, -(row["rank"] as Double? ?? 0))
                return LexicalHit(id: id, score: strength / (1 + strength))
            }
        }
        func ranked(from first: Int64?) throws -> [LexicalHit] {
            var matching = SQLConditions()
            matching.add("\(table)_fts MATCH ?", [match])
            if let first { matching.add("\(table)_fts.rowid >= ?", [first]) }
            // The best matches by the index alone first, then their rows for the filters: joining every
            // match to its row (a B-tree lookup each, thousands for common words) cost more than ranking.
            // Only when the filters leave too few of them is every match joined.
            let fetched = limit * Self.filterOverfetch
            var outer = SQLConditions()
            outer.append(filters)
            // Identifiers come from the constants above.
            let best = try db.rows(
                sql: """
                    SELECT \(alias).id AS id, best.rank AS rank FROM (
                        SELECT rowid, bm25(\(table)_fts, \(weights)) AS rank FROM \(table)_fts
                        \(matching.sql) ORDER BY rank LIMIT ?
                    ) best JOIN \(table) \(alias) ON \(alias).seq = best.rowid
                    \(outer.sql) ORDER BY best.rank LIMIT ?
                    """,
                arguments: matching.arguments + [fetched] + outer.arguments + [limit]
            )
            if best.count >= limit { return hits(best) }
            let candidates = try Int.fetchOne(
                db, sql: "SELECT count(*) FROM (SELECT rowid FROM \(table)_fts \(matching.sql) LIMIT ?)",
                arguments: matching.arguments + [fetched]) ?? 0
            if candidates < fetched { return hits(best) }
            var conditions = matching
            conditions.append(filters)
            let rows = try db.rows(
                sql: """
                    SELECT \(alias).id AS id, bm25(\(table)_fts, \(weights)) AS rank
                    FROM \(table)_fts JOIN \(table) \(alias) ON \(alias).seq = \(table)_fts.rowid
                    \(conditions.sql) ORDER BY rank LIMIT ?
                    """,
                arguments: conditions.arguments + [limit]
            )
            return hits(rows)
        }
        if let first = plan.firstRanked(window: Self.rankedWindow) {
            let newest = try ranked(from: first)
            if newest.count >= limit { return newest }
        }
        return try ranked(from: nil)
    }

    /// How many of the index's best matches are read per hit wanted before the filters (project, type,
    /// status) apply.
    static let filterOverfetch = 4

    /// About how many items holding all of a query's words are ranked, newest first, when far more hold them.
    static let rankedWindow = 500

    /// Items a term may appear in and still take part in an any-of query.
    static let commonTermLimit = 500

    package func recordContextLoad(_ load: ContextLoad) async throws {
        try await database.write { db in
            try Self.insert(load, in: db)
            if !load.patternIDs.isEmpty {
                try db.run(
                    sql: """
                        UPDATE patterns SET reuse_count = reuse_count + 1, last_used_at = ?
                        WHERE id IN (\(Self.placeholders(load.patternIDs.count)))
                        """,
                    arguments: StatementArguments([Millis(load.createdAt).databaseValue] + load.patternIDs.map { $0.description.databaseValue })
                )
            }
        }
    }

    package func statistics(scope: ProjectScope) async throws -> Statistics {
        try await database.read { db in
            var statistics = Statistics()
            let (condition, arguments): (String, StatementArguments) =
                switch scope {
                case .all: ("1 = 1", [])
                case .only(let project): ("project = ?", [project])
                }
            for row in try db.rows(sql: "SELECT status, COUNT(*) AS n FROM sessions WHERE \(condition) GROUP BY status", arguments: arguments) {
                if let status = SessionStatus(rawValue: row["status"]) { statistics.sessionsByStatus[status] = row["n"] }
            }
            statistics.checkpoints = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checkpoints WHERE \(condition)", arguments: arguments) ?? 0
            for row in try db.rows(sql: "SELECT pattern_type, COUNT(*) AS n FROM patterns WHERE \(condition) GROUP BY pattern_type", arguments: arguments) {
                if let type = PatternType(rawValue: row["pattern_type"]) { statistics.patternsByType[type] = row["n"] }
            }
            statistics.contextLoads = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM context_loads WHERE \(condition)", arguments: arguments) ?? 0
            statistics.tags = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tags") ?? 0
            let range = try db.row(sql: """
                    SELECT MIN(t) AS oldest, MAX(t) AS newest FROM (
                        SELECT MIN(created_at) AS t FROM sessions WHERE \(condition)
                        UNION ALL SELECT MAX(created_at) FROM sessions WHERE \(condition))
                    """,
                arguments: arguments + arguments
            )
            statistics.oldestItem = (range?["oldest"] as Int64?).map(Millis.date)
            statistics.newestItem = (range?["newest"] as Int64?).map(Millis.date)
            return statistics
        }
    }
}

/// Which words of a lexical query are matched, from how many items hold each.
struct LexicalPlan {
    /// The words to match.
    var terms: [String]
    /// Items expected to hold all `terms` (word occurrences taken as independent).
    var expectedMatches: Double
    /// The kind's highest row number, standing for the number of items.
    var items: Int

    init(terms: [String], counts: [String: Int], items: Int, matchAll: Bool) {
        self.items = items
        let distinct = Array(Set(terms)).sorted()
        let present = distinct.filter { counts[$0, default: 0] > 0 }
        let rarest = present.min { counts[$0, default: 0] < counts[$1, default: 0] }.map { [$0] } ?? []
        if matchAll {
            // A word no item holds leaves nothing to match.
            guard present.count == distinct.count else {
                self.terms = []
                expectedMatches = 0
                return
            }
            // bm25 gives a word held by more than half of the items no weight (FTS5 floors its IDF at 1e-6),
            // so it only narrows the matches a little, at the price of walking its posting list.
            let weighted = present.filter { Double(counts[$0, default: 0]) <= Double(items) / 2 }
            self.terms = weighted.isEmpty ? rarest : weighted
        } else {
            // Any-of: a word in many items adds little and makes the query rank most of the index; when
            // every word is that common, the rarest one stands for the query.
            let rare = present.filter { counts[$0, default: 0] <= SQLiteDocumentStore.commonTermLimit }
            self.terms = rare.isEmpty ? rarest : rare
        }
        let fractions = self.terms.map { Double(counts[$0, default: 0]) / Double(max(1, items)) }
        expectedMatches =
            matchAll
            ? fractions.reduce(Double(items), *)
            : min(Double(items), fractions.reduce(0, +) * Double(items))
    }

    /// The first row number to rank when the newest rows hold about `window` matches and far more are
    /// expected in all, else nil (rank every match).
    func firstRanked(window: Int) -> Int64? {
        guard expectedMatches > Double(window) * 2, items > 0 else { return nil }
        return Int64(Double(items) * (1 - Double(window) / expectedMatches))
    }
}
