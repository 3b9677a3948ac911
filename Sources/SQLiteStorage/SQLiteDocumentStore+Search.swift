package import ContextCore
import Foundation
import GRDB

extension SQLiteDocumentStore {
    /// bm25 over the kind's FTS5 index, joined to its table for the filters. Scores are mapped from bm25
    /// (lower is better, negative) to s / (1 + s) with s = -bm25: 0…1, higher is better.
    package func searchLexical(_ kind: ItemKind, terms: [String], matchAll: Bool, filter: SearchFilter, limit: Int)
        async throws -> [LexicalHit]
    {
        guard !terms.isEmpty, limit > 0 else { return [] }
        let (table, alias, weights): (String, String, String) =
            switch kind {
            case .session: ("sessions", "s", "5.0, 2.0, 2.0, 3.0")
            case .checkpoint: ("checkpoints", "c", "4.0, 1.0, 2.0")
            case .pattern: ("patterns", "p", "5.0, 2.0, 1.0")
            }
        let queryTerms = matchAll ? terms : try await discriminatingTerms(terms, vocabulary: "\(table)_vocab")
        // Terms are letters and digits only (TextTerms), quoted as FTS5 strings; juxtaposition is AND.
        guard !queryTerms.isEmpty else { return [] }
        let match = queryTerms.map { "\"\($0)\"" }.joined(separator: matchAll ? " " : " OR ")
        var conditions = SQLConditions()
        conditions.add("\(table)_fts MATCH ?", [match])
        if case .only(let project) = filter.scope { conditions.add("\(alias).project = ?", [project]) }
        if kind == .pattern, let type = filter.patternType { conditions.add("\(alias).pattern_type = ?", [type.rawValue]) }
        if kind == .pattern { conditions.add("\(alias).deprecated = 0") }
        if kind == .checkpoint, let session = filter.sessionID { conditions.add("\(alias).session_id = ?", [session.description]) }
        if kind == .session { conditions.add("\(alias).status <> 'deleted'") }
        let finalConditions = conditions
        return try await database.read { db in
            // Identifiers come from the constants above.
            let rows = try db.rows(sql: """
                    SELECT \(alias).id AS id, bm25(\(table)_fts, \(weights)) AS rank
                    FROM \(table)_fts JOIN \(table) \(alias) ON \(alias).seq = \(table)_fts.rowid
                    \(finalConditions.sql) ORDER BY rank LIMIT ?
                    """,
                arguments: finalConditions.arguments + [limit]
            )
            return rows.compactMap { row in
                guard let id = SQLiteValues.id(row, "id") else { return nil }
                let strength = max(0, -(row["rank"] as Double? ?? 0))
                return LexicalHit(id: id, score: strength / (1 + strength))
            }
        }
    }

    /// For any-of matching: the terms found in at most `commonTermLimit` items. A term in nearly every item
    /// adds little to bm25 but makes the query scan and rank most of the index; when every term is that
    /// common, the rarest one stands for the query.
    private func discriminatingTerms(_ terms: [String], vocabulary: String) async throws -> [String] {
        let limit = Self.commonTermLimit
        return try await database.read { db in
            let rows = try db.rows(sql: "SELECT term, doc FROM \(vocabulary) WHERE term IN (\(Self.placeholders(terms.count)))",
                arguments: StatementArguments(terms)
            )
            let frequencies = Dictionary(rows.map { ($0["term"] as String, $0["doc"] as Int) }, uniquingKeysWith: max)
            let present = terms.filter { frequencies[$0] != nil }
            let rare = present.filter { (frequencies[$0] ?? 0) <= limit }
            if !rare.isEmpty { return rare }
            return present.min { (frequencies[$0] ?? 0) < (frequencies[$1] ?? 0) }.map { [$0] } ?? []
        }
    }

    /// Items a term may appear in and still take part in an any-of query.
    static let commonTermLimit = 500

    package func recordContextLoad(_ load: ContextLoad) async throws {
        try await database.write { db in
            try db.run(
                sql: """
                    INSERT INTO context_loads(id, project, query, session_id, checkpoint_ids, pattern_ids,
                        decision_count, tokens_used, token_budget, created_at)
                    VALUES (?, ?, ?, (SELECT id FROM sessions WHERE id = ?), ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    load.id.description, load.project, load.query, load.sessionID?.description,
                    SQLiteValues.jsonArray(load.checkpointIDs.map(\.description)),
                    SQLiteValues.jsonArray(load.patternIDs.map(\.description)), load.decisionCount, load.tokensUsed,
                    load.tokenBudget, Millis(load.createdAt),
                ]
            )
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
