package import ContextCore
package import Foundation
import PostgresNIO

// SQL text spliced in with `unescaped:` is a column list of `PostgresRows` or a conflict clause below (constants);
// every value is bound.
extension PostgresDocumentStore {
    package func savePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws {
        try await withTransaction("saving a pattern") { connection in
            // A source session or parent pattern that does not exist (or was purged) is not kept.
            try await self.upsert(pattern, on: connection)
            try await self.replaceTags(pattern.tags, ofPattern: pattern.id, on: connection)
            if let audit { try await self.insert(audit, on: connection) }
        }
    }

    /// Inserts the pattern or replaces every field of the one with its id.
    func upsert(_ pattern: Pattern, on connection: PostgresConnection) async throws {
        try await write(pattern, onConflict: Self.replacingEveryField, on: connection)
    }

    /// What `write` does when a pattern of that id is there: replace its fields, or keep it (`DO NOTHING`,
    /// and no row returned).
    private static let replacingEveryField = """
        DO UPDATE SET
            project = excluded.project, pattern_type = excluded.pattern_type, name = excluded.name,
            description = excluded.description, template = excluded.template,
            pattern_json = excluded.pattern_json, confidence = excluded.confidence,
            quality_score = excluded.quality_score, frequency = excluded.frequency,
            reuse_count = excluded.reuse_count, success_rate = excluded.success_rate,
            source_session_id = excluded.source_session_id, parent_pattern_id = excluded.parent_pattern_id,
            version = excluded.version, is_latest = excluded.is_latest, deprecated = excluded.deprecated,
            privacy_level = excluded.privacy_level, updated_at = excluded.updated_at,
            last_used_at = excluded.last_used_at
        """
    private static let keepingTheStoredOne = "DO NOTHING"

    /// Inserts the pattern; `onConflict` (one of the constants above) says what happens to one of that id.
    /// Returns whether a row was written.
    @discardableResult
    private func write(_ pattern: Pattern, onConflict: String, on connection: PostgresConnection) async throws -> Bool {
        let written = try await connection.query(
            """
            INSERT INTO patterns (
                id, project, pattern_type, name, description, template, pattern_json, confidence,
                quality_score, frequency, reuse_count, success_rate, source_session_id, parent_pattern_id,
                version, is_latest, deprecated, privacy_level, created_at, updated_at, last_used_at)
            VALUES (
                \(pattern.id.uuid), \(pattern.project), \(pattern.patternType.rawValue), \(pattern.name),
                \(pattern.description), \(pattern.template), \(pattern.patternJSON)::jsonb, \(pattern.confidence),
                \(pattern.qualityScore), \(pattern.frequency), \(pattern.reuseCount), \(pattern.successRate),
                (SELECT id FROM sessions WHERE id = \(pattern.sourceSessionID?.uuid)),
                (SELECT id FROM patterns WHERE id = \(pattern.parentPatternID?.uuid)),
                \(pattern.version), \(pattern.isLatest), \(pattern.deprecated), \(pattern.privacyLevel.rawValue),
                \(PostgresTime(pattern.createdAt)), \(PostgresTime(pattern.updatedAt)),
                \(pattern.lastUsedAt.map(PostgresTime.init)))
            ON CONFLICT (id) \(unescaped: onConflict)
            RETURNING 1
            """,
            logger: logger
        ).collect()
        return !written.isEmpty
    }

    package func replicatePattern(_ pattern: Pattern, frequencyDelta: Int, changeKey: String) async throws {
        try await withTransaction("replicating a pattern") { connection in
            let fresh = try await connection.query(
                "INSERT INTO applied_changes (key) VALUES (\(changeKey)) ON CONFLICT (key) DO NOTHING RETURNING key",
                logger: self.logger
            ).collect()
            // Applied before (the replica crashed before it could forget the change): nothing more to do.
            guard !fresh.isEmpty else { return }
            let stored = { @Sendable () async throws -> (Int, Date)? in
                try await connection.query(
                    "SELECT frequency, updated_at FROM patterns WHERE id = \(pattern.id.uuid) FOR UPDATE",
                    logger: self.logger
                ).collect().first.map { row in
                    let reader = RowReader(row)
                    return (try reader("frequency", as: Int.self), try reader.date("updated_at"))
                }
            }
            var current = try await stored()
            if current == nil {
                // Not there: this push creates it, unless another replica's push of the same pattern got in
                // first (its insert waited for, then kept). Then this change's share is added to that one.
                if try await self.write(pattern, onConflict: Self.keepingTheStoredOne, on: connection) {
                    try await self.replaceTags(pattern.tags, ofPattern: pattern.id, on: connection)
                    return
                }
                current = try await stored()
            }
            guard let (frequency, updatedAt) = current else {
                throw ContextError(.conflict, "pattern \(pattern.id) was inserted and removed concurrently")
            }
            // Merges made elsewhere add up; the fields follow the newest version (last writer wins).
            var merged = pattern
            merged.frequency = frequency + frequencyDelta
            if pattern.updatedAt >= updatedAt {
                try await self.upsert(merged, on: connection)
                try await self.replaceTags(pattern.tags, ofPattern: pattern.id, on: connection)
            } else if frequencyDelta != 0 {
                try await connection.query(
                    "UPDATE patterns SET frequency = \(merged.frequency) WHERE id = \(pattern.id.uuid)",
                    logger: self.logger
                )
            }
        }
    }

    package func mergePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws -> Pattern {
        try await withTransaction("merging into a pattern") { connection in
            var merged = pattern
            let stored = try await connection.query(
                "SELECT frequency FROM patterns WHERE id = \(pattern.id.uuid) FOR UPDATE", logger: self.logger
            ).collect().first.map { try RowReader($0)("frequency", as: Int.self) }
            merged.frequency = (stored ?? pattern.frequency - 1) + 1
            try await self.upsert(merged, on: connection)
            try await self.replaceTags(merged.tags, ofPattern: merged.id, on: connection)
            if let audit { try await self.insert(audit, on: connection) }
            return merged
        }
    }

    package func pattern(id: ItemID, touch: Date?) async throws -> Pattern? {
        try await withConnection("reading a pattern") { connection in
            if let touch {
                try await connection.query(
                    "UPDATE patterns SET last_used_at = \(PostgresTime(touch)) WHERE id = \(id.uuid)",
                    logger: self.logger
                )
            }
            return try await self.rows(
                "SELECT \(unescaped: PostgresRows.patternColumns) FROM patterns p WHERE p.id = \(id.uuid)",
                on: connection,
                PostgresRows.pattern
            ).first
        }
    }

    package func patterns(ids: [ItemID]) async throws -> [Pattern] {
        guard !ids.isEmpty else { return [] }
        return try await withConnection("reading patterns") { connection in
            try await self.rows(
                "SELECT \(unescaped: PostgresRows.patternColumns) FROM patterns p WHERE p.id = ANY(\(ids.map(\.uuid)))",
                on: connection,
                PostgresRows.pattern
            )
        }
    }

    package func patterns(matching query: PatternQuery) async throws -> Page<Pattern> {
        let filter = query.filter
        let cursor = try ListCursor.decode(filter.cursor)
        let project = filter.scope.project
        let limit = filter.limit
        return try await withConnection("listing patterns") { connection in
            let patterns = try await self.rows(
                """
                SELECT \(unescaped: PostgresRows.patternColumns) FROM patterns p
                WHERE (\(project)::text IS NULL OR p.project = \(project))
                  AND (\(query.patternType?.rawValue)::text IS NULL OR p.pattern_type = \(query.patternType?.rawValue))
                  AND (\(query.minConfidence)::float8 IS NULL OR p.confidence >= \(query.minConfidence))
                  AND (\(query.includeDeprecated) OR NOT p.deprecated)
                  AND (\(filter.since.map(PostgresTime.init))::timestamptz IS NULL
                       OR p.created_at >= \(filter.since.map(PostgresTime.init)))
                  AND (\(filter.until.map(PostgresTime.init))::timestamptz IS NULL
                       OR p.created_at < \(filter.until.map(PostgresTime.init)))
                  AND (\(cursor?.createdAt)::timestamptz IS NULL
                       OR (p.created_at, p.id) < (\(cursor?.createdAt), \(cursor?.id)))
                  AND (cardinality(\(filter.tags)::text[]) = 0 OR p.id IN (
                        SELECT l.pattern_id FROM pattern_tags l JOIN tags t ON t.id = l.tag_id
                        WHERE t.name = ANY(\(filter.tags)) GROUP BY l.pattern_id
                        HAVING count(*) = cardinality(\(filter.tags)::text[])))
                ORDER BY p.created_at DESC, p.id DESC
                LIMIT \(limit + 1)
                """,
                on: connection,
                PostgresRows.pattern
            )
            return PostgresRows.page(patterns, limit: limit, createdAt: \.createdAt, id: \.id)
        }
    }
}

extension PostgresDocumentStore: CentralReplica {}
