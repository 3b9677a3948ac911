package import ContextCore
import Foundation
import PostgresNIO
import Synchronization

extension PostgresDocumentStore {
    /// Full-text search with typo tolerance over one kind of item.
    ///
    /// An item matches a term when its weighted `tsvector` (config `simple`: no stemming, like the local FTS5
    /// index) holds the term, or — for terms of four characters or more that no item holds (a typo) — when the
    /// term is similar to a word of its name or title (pg_trgm `<%`, `word_similarity` ≥ `pg_trgm.word_similarity_threshold`, 0.6 by
    /// default), so "websockt" still finds "flaky websocket test". `matchAll`: every term must match; else any.
    /// Candidates come from the GIN `tsvector` index (any term) and the GIN trigram index (each fuzzy term).
    ///
    /// Score: strength s = 4 · `ts_rank_cd` (weights D 0.1, C 0.2, B 0.4, A 1.0; rank divided by 1 + log of the
    /// document's length) + the best `word_similarity` of a fuzzy term that matched the name, mapped to 0…1 as
    /// s / (1 + s) like the local store's bm25. Hits come best first (ties by id).
    package func searchLexical(_ kind: ItemKind, terms: [String], matchAll: Bool, filter: SearchFilter, limit: Int)
        async throws -> [LexicalHit]
    {
        let terms = Self.searchTerms(terms)
        guard !terms.isEmpty, limit > 0 else { return [] }
        // Terms are letters and digits only, quoted as tsquery lexemes.
        let anyQuery = terms.map { "'\($0)'" }.joined(separator: " | ")
        let table = Self.searchTarget(kind).table
        let project = filter.scope.project
        let patternType = kind == .pattern ? filter.patternType?.rawValue : nil
        let sessionID = kind == .checkpoint ? filter.sessionID?.uuid : nil
        return try await withConnection("searching") { connection in
            // Candidates by text: every term for `matchAll` (the GIN index intersects, so a query of common words
            // does not score thousands of rows only to drop most). Any-of: the terms held by at most
            // `commonTermLimit` items, or the rarest one when every term is that common (as the local store
            // does: a word in thousands of items adds little and made the query rank most of the table; 400 ms
            // at p95 for 3-word queries at 100,000 patterns, 20 ms without). The ranking still weighs every
            // term. Items that match some term only by a typo-tolerant name come from the trigram branch.
            let statistics = try await self.termStatistics(kind, table: table, on: connection)
            let counts = statistics.counts
            let candidateQuery =
                matchAll
                ? terms.map { "'\($0)'" }.joined(separator: " & ")
                : Self.discriminatingTerms(terms, counts: counts).map { "'\($0)'" }.joined(separator: " | ")
            // Only a term the statistics do not list can be held by no item (a typo): checking a listed one
            // builds the bitmap of its whole posting list (1.3 ms for a word in 7,000 patterns) for nothing.
            let unlisted = terms.filter { counts[$0, default: 0] <= 0 }
            let search = Search(
                kind: kind, anyQuery: anyQuery, candidateQuery: candidateQuery, terms: terms, unlisted: unlisted,
                project: project, patternType: patternType, sessionID: sessionID, matchAll: matchAll, limit: limit)
            // When far more items are expected to hold every word than are ranked, rank the newest of them (as the
            // local store does): ranking costs about 5 µs an item, 200 ms for a query of two common words at
            // 100,000 patterns. Fewer than `limit` hits among them: every match is ranked.
            // Not with a pattern type or session filter: the window counts every item, so it would mostly
            // come out short and cost a query more.
            if matchAll, patternType == nil, sessionID == nil, let rows = statistics.window(for: terms, ranking: Self.rankedWindow),
                let cutoff = try await self.newest(table, rows: rows, project: project, on: connection)
            {
                let newest = try await self.rank(search, createdSince: cutoff, on: connection)
                if newest.count >= limit { return newest }
            }
            return try await self.rank(search, createdSince: nil, on: connection)
        }
    }

    /// What one lexical query asks (every value bound).
    private struct Search {
        var kind: ItemKind
        var anyQuery: String
        var candidateQuery: String
        var terms: [String]
        var unlisted: [String]
        var project: String?
        var patternType: String?
        var sessionID: UUID?
        var matchAll: Bool
        var limit: Int
    }

    /// The created_at of the item after the `rows` newest of the table (of `project`, when given), or nil when
    /// there are not that many. An index-only scan of the listing index.
    private func newest(_ table: String, rows: Int, project: String?, on connection: PostgresConnection) async throws -> PostgresTime? {
        // `table` is a constant of `searchTarget`.
        try await self.rows(
            """
            SELECT created_at FROM \(unescaped: table)
            WHERE \(project)::text IS NULL OR project = \(project)
            ORDER BY created_at DESC, id DESC OFFSET \(rows) LIMIT 1
            """,
            on: connection
        ) { try $0.decode(PostgresTime.self) }.first
    }

    /// Ranks the candidates of `search`; with `createdSince`, only text candidates created since then (the
    /// query's words are spliced in as a bound tsquery so the planner can intersect the full-text index with
    /// the created_at index).
    private func rank(_ search: Search, createdSince cutoff: PostgresTime?, on connection: PostgresConnection) async throws
        -> [LexicalHit]
    {
        let (table, name, kindFilter) = Self.searchTarget(search.kind)
        let (anyQuery, candidateQuery, terms, unlisted) = (search.anyQuery, search.candidateQuery, search.terms, search.unlisted)
        let (project, patternType, sessionID, matchAll) = (search.project, search.patternType, search.sessionID, search.matchAll)
        // `table`, `name` and `kindFilter` are constants of `searchTarget`; every value is bound.
        return try await self.rows(
            """
            WITH input AS MATERIALIZED (
                SELECT to_tsquery('simple', \(anyQuery)) AS any_query,
                       to_tsquery('simple', \(candidateQuery)) AS candidate_query,
                       \(terms)::text[] AS terms,
                       -- Typo tolerance for the terms the index does not hold: a word that is there is
                       -- matched exactly (a fuzzy scan of every name for it would cost a sequential scan).
                       ARRAY(SELECT t FROM unnest(\(unlisted)::text[]) AS t
                             WHERE char_length(t) >= 4 AND NOT EXISTS (
                                 SELECT 1 FROM \(unescaped: table) v WHERE v.search_vector @@ plainto_tsquery('simple', t))
                       ) AS fuzzy_terms,
                       \(project)::text AS project,
                       \(patternType)::text AS pattern_type,
                       \(sessionID)::uuid AS session_id,
                       \(matchAll)::boolean AS match_all
            ),
            -- Candidates carry what scoring needs, so nothing is joined back to the table. Rows of the text
            -- branch are distinct, hold every term when match_all (the & query), and are not in the fuzzy
            -- branch (NOT candidate_query): only fuzzy rows need the every-term check and de-duplication.
            -- The fuzzy branch runs per typo term (OFFSET 0 keeps it a per-term index lookup, not a scan of
            -- every name).
            candidates AS (
                SELECT i.id, i.\(unescaped: name) AS name, i.search_vector
                FROM input, \(unescaped: table) i
                WHERE i.search_vector @@ to_tsquery('simple', \(candidateQuery))
                  AND (\(cutoff)::timestamptz IS NULL OR i.created_at >= \(cutoff)::timestamptz)
                  AND (input.project IS NULL OR i.project = input.project) AND \(unescaped: kindFilter)
                UNION ALL
                SELECT DISTINCT ON (fuzzy.id) fuzzy.id, fuzzy.name, fuzzy.search_vector
                FROM input, unnest(input.fuzzy_terms) AS f(term),
                    LATERAL (
                        SELECT i.id, i.\(unescaped: name) AS name, i.search_vector FROM \(unescaped: table) i
                        WHERE f.term <% i.\(unescaped: name)
                          AND NOT (i.search_vector @@ input.candidate_query)
                          AND (input.project IS NULL OR i.project = input.project) AND \(unescaped: kindFilter)
                        OFFSET 0
                    ) AS fuzzy
                WHERE NOT input.match_all OR NOT EXISTS (
                        SELECT 1 FROM unnest(input.terms) AS q(term)
                        WHERE NOT (fuzzy.search_vector @@ plainto_tsquery('simple', q.term)
                                   OR (char_length(q.term) >= 4 AND q.term <% fuzzy.name)))
            )
            SELECT c.id,
                4 * ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', c.search_vector, input.any_query, 1)
                + CASE WHEN cardinality(input.fuzzy_terms) = 0 THEN 0 ELSE
                      coalesce((SELECT max(word_similarity(f.term, c.name)) FROM unnest(input.fuzzy_terms) AS f(term)
                                WHERE f.term <% c.name), 0) END AS strength
            FROM candidates c CROSS JOIN input
            ORDER BY strength DESC, c.id
            LIMIT \(search.limit)
            """,
            on: connection
        ) { row in
            let (id, strength) = try row.decode((UUID, Double).self)
            let positive = max(0, strength)
            return LexicalHit(id: ItemID(id), score: positive / (1 + positive))
        }
    }

    /// Items a term may be held by and still select an any-of query's candidates (as `SQLiteDocumentStore`).
    package static let commonTermLimit = 500.0

    /// The terms held by at most `commonTermLimit` items, or the rarest term when none is.
    package static func discriminatingTerms(_ terms: [String], counts: [String: Double]) -> [String] {
        let rare = terms.filter { counts[$0, default: 0] <= commonTermLimit }
        guard rare.isEmpty, let rarest = terms.min(by: { counts[$0, default: 0] < counts[$1, default: 0] }) else { return rare }
        return [rarest]
    }

    /// About how many items rank when far more hold every word of an all-words query (as `SQLiteDocumentStore`).
    package static let rankedWindow = 500

    /// About how many items of the kind hold each of its commonest words: PostgreSQL's statistics of the
    /// `search_vector` column (ANALYZE, which autovacuum runs, keeps about the 1,000 commonest lexemes and the
    /// share of rows holding each) times the table's row estimate. A word not listed is rarer than every listed
    /// one. Read once per kind every 5 minutes (every 30 s while empty: before the first ANALYZE, a small table).
    func termStatistics(_ kind: ItemKind, table: String, on connection: PostgresConnection) async throws -> TermStatistics {
        let now = ContinuousClock.now
        // Statistics that are not there yet (a table never analyzed) are looked for again sooner.
        if let cached = commonTerms.withLock({ $0[kind] }), now - cached.read < (cached.statistics.items > 0 ? .seconds(300) : .seconds(30)) {
            return cached.statistics
        }
        // `table` is a constant of `searchTarget`; the lengths of the two arrays differ (the frequencies end
        // with three summary numbers), so the pairs with no word are dropped.
        let rows = try await rows(
            """
            SELECT u.word, u.share * greatest(c.reltuples, 0)::float8, greatest(c.reltuples, 0)::float8
            FROM pg_stats s
            CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(word, share)
            CROSS JOIN pg_class c
            WHERE s.schemaname = current_schema() AND s.tablename = \(table) AND s.attname = 'search_vector'
              AND c.oid = to_regclass(quote_ident(current_schema()) || '.' || \(table)) AND u.word IS NOT NULL
            """,
            on: connection
        ) { row in try row.decode((String, Double, Double).self) }
        let statistics = TermStatistics(
            counts: Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first }), items: rows.first?.2 ?? 0)
        commonTerms.withLock { $0[kind] = (now, statistics) }
        return statistics
    }

    /// Has PostgreSQL vacuum the searched tables and gather their statistics now (after bulk writes, rather than
    /// when autovacuum next gets to them: until then the first reads of fresh rows also set their hint bits),
    /// and reads the statistics afresh for search.
    package func vacuumAnalyze() async throws {
        try await withConnection("gathering statistics") { connection in
            _ = try await connection.query("VACUUM (ANALYZE) sessions, checkpoints, patterns", logger: self.logger)
        }
        commonTerms.withLock { $0 = [:] }
    }

    /// `termStatistics` on a connection of its own (tests, diagnostics).
    package func termStatistics(_ kind: ItemKind) async throws -> TermStatistics {
        let table = Self.searchTarget(kind).table
        return try await withConnection("reading word statistics") { connection in
            try await self.termStatistics(kind, table: table, on: connection)
        }
    }

    /// The table, its name or title column and the filters of one kind (constants: spliced into SQL).
    private static func searchTarget(_ kind: ItemKind) -> (table: String, name: String, filter: String) {
        switch kind {
        case .session: ("sessions", "title", "i.status <> 'deleted'")
        case .checkpoint:
            ("checkpoints", "description", "(input.session_id IS NULL OR i.session_id = input.session_id)")
        case .pattern:
            (
                "patterns", "name",
                "NOT i.deprecated AND (input.pattern_type IS NULL OR i.pattern_type = input.pattern_type)"
            )
        }
    }

    /// Lower-cased runs of letters and digits, distinct, at most `TextTerms.maximumTerms` (the service already
    /// passes such terms; anything else is dropped so it cannot change the tsquery's syntax).
    static func searchTerms(_ terms: [String]) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for term in terms {
            let cleaned = String(term.lowercased().filter { $0.isLetter || $0.isNumber })
            guard !cleaned.isEmpty, seen.insert(cleaned).inserted else { continue }
            result.append(cleaned)
            if result.count == TextTerms.maximumTerms { break }
        }
        return result
    }

    package func recordContextLoad(_ load: ContextLoad) async throws {
        try await withTransaction("recording a context load") { connection in
            // Saving the same load twice (a replay) records it and counts its patterns once.
            let inserted = try await self.insertIfMissing(load, on: connection)
            if inserted, !load.patternIDs.isEmpty {
                try await connection.query(
                    """
                    UPDATE patterns SET reuse_count = reuse_count + 1, last_used_at = \(PostgresTime(load.createdAt))
                    WHERE id = ANY(\(load.patternIDs.map(\.uuid)))
                    """,
                    logger: self.logger
                )
            }
        }
    }

    /// Inserts the context load unless its id exists; true if it was inserted.
    func insertIfMissing(_ load: ContextLoad, on connection: PostgresConnection) async throws -> Bool {
        try await connection.query(
            """
            INSERT INTO context_loads (id, project, query, session_id, checkpoint_ids, pattern_ids,
                decision_count, tokens_used, token_budget, created_at)
            VALUES (
                \(load.id.uuid), \(load.project), \(load.query),
                (SELECT id FROM sessions WHERE id = \(load.sessionID?.uuid)),
                \(PostgresJSON.array(load.checkpointIDs.map(\.description)))::jsonb,
                \(PostgresJSON.array(load.patternIDs.map(\.description)))::jsonb,
                \(load.decisionCount), \(load.tokensUsed), \(load.tokenBudget), \(PostgresTime(load.createdAt)))
            ON CONFLICT (id) DO NOTHING
            RETURNING id
            """,
            logger: logger
        ).collect().isEmpty == false
    }

    package func statistics(scope: ProjectScope) async throws -> Statistics {
        let project = scope.project
        return try await withConnection("counting") { connection in
            var statistics = Statistics()
            for (status, count) in try await self.rows(
                "SELECT status, count(*) FROM sessions WHERE \(project)::text IS NULL OR project = \(project) GROUP BY status",
                on: connection,
                { try $0.decode((String, Int).self) }
            ) {
                if let status = SessionStatus(rawValue: status) { statistics.sessionsByStatus[status] = count }
            }
            for (type, count) in try await self.rows(
                "SELECT pattern_type, count(*) FROM patterns WHERE \(project)::text IS NULL OR project = \(project) GROUP BY pattern_type",
                on: connection,
                { try $0.decode((String, Int).self) }
            ) {
                if let type = PatternType(rawValue: type) { statistics.patternsByType[type] = count }
            }
            let counts = try await self.rows(
                """
                SELECT
                    (SELECT count(*) FROM checkpoints WHERE \(project)::text IS NULL OR project = \(project)),
                    (SELECT count(*) FROM context_loads WHERE \(project)::text IS NULL OR project = \(project)),
                    (SELECT count(*) FROM tags),
                    (SELECT min(created_at) FROM sessions WHERE \(project)::text IS NULL OR project = \(project)),
                    (SELECT max(created_at) FROM sessions WHERE \(project)::text IS NULL OR project = \(project))
                """,
                on: connection,
                { try $0.decode((Int, Int, Int, PostgresTime?, PostgresTime?).self) }
            )
            if let (checkpoints, loads, tags, oldest, newest) = counts.first {
                statistics.checkpoints = checkpoints
                statistics.contextLoads = loads
                statistics.tags = tags
                statistics.oldestItem = oldest?.date
                statistics.newestItem = newest?.date
            }
            return statistics
        }
    }
}

/// How many items hold the commonest words of one kind's text, from PostgreSQL's statistics.
package struct TermStatistics: Sendable {
    /// About how many items hold each listed word.
    package var counts: [String: Double]
    /// About how many items there are (0: not known).
    package var items: Double

    package init(counts: [String: Double], items: Double) {
        self.counts = counts
        self.items = items
    }

    /// About how many items hold every one of `terms` (their shares multiplied, as if independent); 0 when a
    /// term is not listed (rarer than every listed word: not many items).
    package func expectedMatches(_ terms: [String]) -> Double {
        guard items > 0, !terms.isEmpty, terms.allSatisfy({ counts[$0, default: 0] > 0 }) else { return 0 }
        return terms.reduce(items) { $0 * counts[$1, default: 0] / items }
    }

    /// How many of the newest rows are expected to hold about `window` items with every one of `terms`, when
    /// more than twice that many are expected in all and those rows are at most 4 times as many as the
    /// expected matches (reading the window from the created_at index costs too: at 100,000 items, a window of
    /// 37,000 rows took 21 ms against 9 ms to rank the 1,300 matches); else nil.
    package func window(for terms: [String], ranking window: Int) -> Int? {
        let expected = expectedMatches(terms)
        guard expected > Double(window) * 2 else { return nil }
        let rows = (items * Double(window) / expected).rounded(.up)
        return rows <= 4 * expected ? Int(rows) : nil
    }
}

extension PostgresDocumentStore {
    /// Which of these items pass `filter`, judged by their rows: the project unless the scope is every
    /// project, the pattern type (patterns only: no other kind passes a pattern-type filter) and the session
    /// (checkpoints only, likewise), as a vector index's own metadata would. Ids without a row are left out.
    ///
    /// ChromaDB answers a query with each record's metadata about twice as slowly as without it (60 records at
    /// 100,000: p50 10.3 against 5.6 ms), so the central index asks here instead (`ChromaVectorIndex.admitting`).
    package func admitted(_ kind: ItemKind, ids: [ItemID], filter: SearchFilter) async throws -> Set<ItemID> {
        guard !ids.isEmpty else { return [] }
        let project = filter.scope.project
        // The one condition of the kind beyond the project: its column (a constant) and the value asked for.
        let (column, value): (String, String?)
        switch kind {
        case .session:
            guard filter.patternType == nil, filter.sessionID == nil else { return [] }
            (column, value) = ("id", nil)
        case .checkpoint:
            guard filter.patternType == nil else { return [] }
            (column, value) = ("session_id", filter.sessionID?.uuid.uuidString.lowercased())
        case .pattern:
            guard filter.sessionID == nil else { return [] }
            (column, value) = ("pattern_type", filter.patternType?.rawValue)
        }
        return try await withConnection("filtering vector search results") { connection in
            // `table(of:)` and `column` are constants.
            Set(
                try await self.rows(
                    """
                    SELECT id FROM \(unescaped: Self.table(of: kind))
                    WHERE id = ANY(\(ids.map(\.uuid)))
                      AND (\(project)::text IS NULL OR project = \(project))
                      AND (\(value)::text IS NULL OR \(unescaped: column)::text = \(value))
                    """,
                    on: connection
                ) { ItemID(try $0.decode(UUID.self)) })
        }
    }
}
