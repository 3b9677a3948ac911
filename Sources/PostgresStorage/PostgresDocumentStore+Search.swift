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
        let (table, name, kindFilter) = Self.searchTarget(kind)
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
            let candidateQuery: String
            if matchAll {
                candidateQuery = terms.map { "'\($0)'" }.joined(separator: " & ")
            } else {
                let counts = try await self.commonTermCounts(kind, table: table, on: connection)
                candidateQuery = Self.discriminatingTerms(terms, counts: counts).map { "'\($0)'" }.joined(separator: " | ")
            }
            // `table`, `name` and `kindFilter` are constants of `searchTarget`; every value is bound.
            return try await self.rows(
                """
                WITH input AS MATERIALIZED (
                    SELECT to_tsquery('simple', \(anyQuery)) AS any_query,
                           to_tsquery('simple', \(candidateQuery)) AS candidate_query,
                           \(terms)::text[] AS terms,
                           -- Typo tolerance for the terms the index does not hold: a word that is there is
                           -- matched exactly (a fuzzy scan of every name for it would cost a sequential scan).
                           ARRAY(SELECT t FROM unnest(\(terms)::text[]) AS t
                                 WHERE char_length(t) >= 4 AND NOT EXISTS (
                                     SELECT 1 FROM \(unescaped: table) v WHERE v.search_vector @@ plainto_tsquery('simple', t))
                           ) AS fuzzy_terms,
                           \(project)::text AS project,
                           \(patternType)::text AS pattern_type,
                           \(sessionID)::uuid AS session_id
                ),
                -- Candidates carry what scoring needs, so nothing is joined back to the table. The fuzzy branch
                -- runs per typo term (OFFSET 0 keeps it a per-term index lookup, not a scan of every name).
                candidates AS (
                    SELECT i.id, i.\(unescaped: name) AS name, i.search_vector
                    FROM input, \(unescaped: table) i
                    WHERE i.search_vector @@ input.candidate_query
                      AND (input.project IS NULL OR i.project = input.project) AND \(unescaped: kindFilter)
                    UNION ALL
                    SELECT fuzzy.id, fuzzy.name, fuzzy.search_vector
                    FROM input, unnest(input.fuzzy_terms) AS f(term),
                        LATERAL (
                            SELECT i.id, i.\(unescaped: name) AS name, i.search_vector FROM \(unescaped: table) i
                            WHERE f.term <% i.\(unescaped: name)
                              AND NOT (i.search_vector @@ input.candidate_query)
                              AND (input.project IS NULL OR i.project = input.project) AND \(unescaped: kindFilter)
                            OFFSET 0
                        ) AS fuzzy
                ),
                scored AS (
                    SELECT DISTINCT ON (c.id) c.id,
                        ts_rank_cd('{0.1, 0.2, 0.4, 1.0}', c.search_vector, input.any_query, 1) AS text_rank,
                        coalesce((SELECT max(word_similarity(f.term, c.name))
                                  FROM unnest(input.fuzzy_terms) AS f(term)
                                  WHERE f.term <% c.name), 0) AS fuzzy
                    FROM candidates c CROSS JOIN input
                    WHERE NOT \(matchAll) OR NOT EXISTS (
                            SELECT 1 FROM unnest(input.terms) AS q(term)
                            WHERE NOT (c.search_vector @@ plainto_tsquery('simple', q.term)
                                       OR (char_length(q.term) >= 4 AND q.term <% c.name)))
                )
                SELECT id, 4 * text_rank + fuzzy AS strength FROM scored
                ORDER BY strength DESC, id
                LIMIT \(limit)
                """,
                on: connection
            ) { row in
                let (id, strength) = try row.decode((UUID, Double).self)
                let positive = max(0, strength)
                return LexicalHit(id: ItemID(id), score: positive / (1 + positive))
            }
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

    /// About how many items of the kind hold each of its commonest words: PostgreSQL's statistics of the
    /// `search_vector` column (ANALYZE, which autovacuum runs, keeps about the 1,000 commonest lexemes and the
    /// share of rows holding each) times the table's row estimate. A word not listed is rarer than every listed
    /// one. Read once per kind every 5 minutes; empty before the first ANALYZE (a small table).
    func commonTermCounts(_ kind: ItemKind, table: String, on connection: PostgresConnection) async throws -> [String: Double] {
        let now = ContinuousClock.now
        if let cached = commonTerms.withLock({ $0[kind] }), now - cached.read < .seconds(300) { return cached.counts }
        // `table` is a constant of `searchTarget`; the lengths of the two arrays differ (the frequencies end
        // with three summary numbers), so the pairs with no word are dropped.
        let pairs = try await rows(
            """
            SELECT u.word, u.share * greatest(c.reltuples, 0)::float8
            FROM pg_stats s
            CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS u(word, share)
            CROSS JOIN pg_class c
            WHERE s.schemaname = current_schema() AND s.tablename = \(table) AND s.attname = 'search_vector'
              AND c.oid = to_regclass(quote_ident(current_schema()) || '.' || \(table)) AND u.word IS NOT NULL
            """,
            on: connection
        ) { row in try row.decode((String, Double).self) }
        let counts = Dictionary(pairs, uniquingKeysWith: { first, _ in first })
        commonTerms.withLock { $0[kind] = (now, counts) }
        return counts
    }

    /// `commonTermCounts` on a connection of its own (tests, diagnostics).
    package func commonTermCounts(_ kind: ItemKind) async throws -> [String: Double] {
        let table = Self.searchTarget(kind).table
        return try await withConnection("reading word statistics") { connection in
            try await self.commonTermCounts(kind, table: table, on: connection)
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
