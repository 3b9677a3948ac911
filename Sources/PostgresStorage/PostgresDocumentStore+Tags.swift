import ContextCore
import Foundation
import PostgresNIO

extension PostgresDocumentStore {
    /// Replaces the tag links of a session.
    func replaceTags(_ tags: [String], ofSession id: ItemID, on connection: PostgresConnection) async throws {
        try await replaceTags(tags, link: ("session_tags", "session_id"), id: id, on: connection)
    }

    /// Replaces the tag links of a pattern.
    func replaceTags(_ tags: [String], ofPattern id: ItemID, on connection: PostgresConnection) async throws {
        try await replaceTags(tags, link: ("pattern_tags", "pattern_id"), id: id, on: connection)
    }

    /// Replaces the rows of the link table `link.table` whose `link.column` is `id`.
    private func replaceTags(
        _ tags: [String],
        link: (table: String, column: String),
        id: ItemID,
        on connection: PostgresConnection
    ) async throws {
        // `link` is one of the two constant pairs above: spliced in as identifiers; every value is bound.
        try await connection.query(
            "DELETE FROM \(unescaped: link.table) WHERE \(unescaped: link.column) = \(id.uuid)", logger: logger)
        guard !tags.isEmpty else { return }
        try await createTags(tags, on: connection)
        try await connection.query(
            """
            INSERT INTO \(unescaped: link.table) (\(unescaped: link.column), tag_id)
            SELECT \(id.uuid), id FROM tags WHERE name = ANY(\(tags))
            ON CONFLICT DO NOTHING
            """,
            logger: logger
        )
    }

    /// Creates the tags that do not exist yet. In name order, so two writers adding the same new tags wait for
    /// each other instead of deadlocking.
    private func createTags(_ tags: [String], on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO tags (name, created_at)
            SELECT DISTINCT name, now() FROM unnest(\(tags)::text[]) AS name ORDER BY name
            ON CONFLICT (name) DO NOTHING
            """,
            logger: logger
        )
    }

    /// Writes the privacy audit row of a stored item (`ephemeral` items are never stored, so never audited).
    func insert(_ audit: PrivacyAudit, on connection: PostgresConnection) async throws {
        guard audit.level != .ephemeral else { return }
        try await connection.query(
            """
            INSERT INTO privacy_audit (item_kind, item_id, level, detected, redacted, created_at)
            VALUES (
                \(audit.itemKind.rawValue), \(audit.itemID.uuid), \(audit.level.rawValue),
                \(PostgresJSON.object(audit.detected))::jsonb, \(PostgresJSON.object(audit.redacted))::jsonb,
                \(PostgresTime(audit.createdAt)))
            """,
            logger: logger
        )
    }
}
