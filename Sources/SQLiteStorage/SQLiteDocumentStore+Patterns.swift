package import ContextCore
package import Foundation
import GRDB

extension SQLiteDocumentStore {
    package func savePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws {
        try await database.write { db in
            try Self.upsert(pattern, in: db)
            try Self.replaceTags(pattern.tags, of: pattern.id, table: "pattern_tags", column: "pattern_id", in: db)
            if let audit { try Self.insert(audit, in: db) }
            try queueChange(.pattern, pattern.id, .upsert, in: db)
        }
    }

    package func mergePattern(_ pattern: Pattern, audit: PrivacyAudit?) async throws -> Pattern {
        try await database.write { db in
            var merged = pattern
            let stored = try Int.fetchOne(db, sql: "SELECT frequency FROM patterns WHERE id = ?", arguments: [pattern.id.description])
            merged.frequency = (stored ?? pattern.frequency - 1) + 1
            try Self.upsert(merged, in: db)
            try Self.replaceTags(merged.tags, of: merged.id, table: "pattern_tags", column: "pattern_id", in: db)
            if let audit { try Self.insert(audit, in: db) }
            // Queued with what it added, so merges made on several machines add up centrally.
            try queueChange(.pattern, merged.id, .upsert, frequencyDelta: 1, in: db)
            return merged
        }
    }

    static func upsert(_ pattern: Pattern, in db: Database) throws {
        try db.run(
            sql: """
                INSERT INTO patterns (
                    id, project, pattern_type, name, description, template, pattern_json, confidence,
                    quality_score, frequency, reuse_count, success_rate, source_session_id, parent_pattern_id,
                    version, is_latest, deprecated, privacy_level, created_at, updated_at, last_used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    project = excluded.project, pattern_type = excluded.pattern_type, name = excluded.name,
                    description = excluded.description, template = excluded.template,
                    pattern_json = excluded.pattern_json, confidence = excluded.confidence,
                    quality_score = excluded.quality_score, frequency = excluded.frequency,
                    reuse_count = excluded.reuse_count, success_rate = excluded.success_rate,
                    source_session_id = excluded.source_session_id, parent_pattern_id = excluded.parent_pattern_id,
                    version = excluded.version, is_latest = excluded.is_latest, deprecated = excluded.deprecated,
                    privacy_level = excluded.privacy_level, updated_at = excluded.updated_at,
                    last_used_at = excluded.last_used_at
                """,
            arguments: [
                pattern.id.description, pattern.project, pattern.patternType.rawValue, pattern.name,
                pattern.description, pattern.template, pattern.patternJSON, pattern.confidence,
                pattern.qualityScore, pattern.frequency, pattern.reuseCount, pattern.successRate,
                // A source session that does not exist (or was purged) is not kept.
                try Self.existingSessionID(pattern.sourceSessionID, in: db), pattern.parentPatternID?.description,
                pattern.version, pattern.isLatest, pattern.deprecated, pattern.privacyLevel.rawValue,
                Millis(pattern.createdAt), Millis(pattern.updatedAt), pattern.lastUsedAt.map(Millis.init),
            ]
        )
    }

    private static func existingSessionID(_ id: ItemID?, in db: Database) throws -> String? {
        guard let id else { return nil }
        let exists = try db.exists(sql: "SELECT 1 FROM sessions WHERE id = ?", arguments: [id.description])
        return exists ? id.description : nil
    }

    package func pattern(id: ItemID, touch: Date?) async throws -> Pattern? {
        if let touch {
            return try await database.write { db in
                try db.run(sql: "UPDATE patterns SET last_used_at = ? WHERE id = ?", arguments: [Millis(touch), id.description])
                return try Self.fetchPatterns(db, where: "p.id = ?", [id.description]).first
            }
        }
        return try await database.read { db in try Self.fetchPatterns(db, where: "p.id = ?", [id.description]).first }
    }

    package func patterns(ids: [ItemID]) async throws -> [Pattern] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            try Self.fetchPatterns(db, where: "p.id IN (\(Self.placeholders(ids.count)))", ids.map(\.description))
        }
    }

    package func patterns(matching query: PatternQuery) async throws -> Page<Pattern> {
        var conditions = SQLConditions()
        try conditions.addListFilter(query.filter, alias: "p")
        if let type = query.patternType { conditions.add("p.pattern_type = ?", [type.rawValue]) }
        if let minimum = query.minConfidence { conditions.add("p.confidence >= ?", [minimum]) }
        if !query.includeDeprecated { conditions.add("p.deprecated = 0") }
        Self.addTagFilter(query.filter.tags, to: &conditions, table: "pattern_tags", column: "pattern_id", alias: "p")
        let limit = query.filter.limit
        let finalConditions = conditions
        return try await database.read { db in
            let rows = try db.rows(sql: "SELECT p.* FROM patterns p \(finalConditions.sql) ORDER BY p.created_at DESC, p.id DESC LIMIT ?",
                arguments: finalConditions.arguments + [limit + 1]
            )
            return try Self.page(rows, limit: limit, db: db) { rows, db in try Self.patterns(from: rows, db: db) }
        }
    }

    static func fetchPatterns(_ db: Database, where clause: String, _ arguments: [String]) throws -> [Pattern] {
        let rows = try db.rows(sql: "SELECT p.* FROM patterns p WHERE \(clause)", arguments: StatementArguments(arguments))
        return try patterns(from: rows, db: db)
    }

    static func patterns(from rows: [Row], db: Database) throws -> [Pattern] {
        var patterns = try rows.map(SQLiteValues.pattern)
        let tags = try tagsByOwner(patterns.map(\.id), table: "pattern_tags", column: "pattern_id", in: db)
        for index in patterns.indices { patterns[index].tags = tags[patterns[index].id] ?? [] }
        return patterns
    }
}
