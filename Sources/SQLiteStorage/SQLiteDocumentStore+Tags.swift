import ContextCore
import Foundation
import GRDB

extension SQLiteDocumentStore {
    static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// Replaces the tag links of one owner (`session_tags` / `pattern_tags`).
    static func replaceTags(_ tags: [String], of owner: ItemID, table: String, column: String, in db: Database) throws {
        // `table` and `column` are constants of this file, never input.
        try db.run(sql: "DELETE FROM \(table) WHERE \(column) = ?", arguments: [owner.description])
        let now = Millis(Date())
        for tag in tags {
            try db.run(
                sql: "INSERT INTO tags(name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                arguments: [tag, now]
            )
            try db.run(
                sql: "INSERT OR IGNORE INTO \(table)(\(column), tag_id) SELECT ?, id FROM tags WHERE name = ?",
                arguments: [owner.description, tag]
            )
        }
    }

    /// Tags of many owners at once, in name order.
    static func tagsByOwner(_ owners: [ItemID], table: String, column: String, in db: Database) throws
        -> [ItemID: [String]]
    {
        guard !owners.isEmpty else { return [:] }
        let rows = try db.rows(sql: """
                SELECT l.\(column) AS owner, t.name AS name FROM \(table) l JOIN tags t ON t.id = l.tag_id
                WHERE l.\(column) IN (\(placeholders(owners.count))) ORDER BY t.name
                """,
            arguments: StatementArguments(owners.map(\.description))
        )
        var result: [ItemID: [String]] = [:]
        for row in rows {
            guard let owner = SQLiteValues.id(row, "owner") else { continue }
            result[owner, default: []].append(row["name"])
        }
        return result
    }

    /// Items carrying every one of `tags`.
    static func addTagFilter(_ tags: [String], to conditions: inout SQLConditions, table: String, column: String, alias: String) {
        guard !tags.isEmpty else { return }
        conditions.add(
            """
            \(alias).id IN (SELECT l.\(column) FROM \(table) l JOIN tags t ON t.id = l.tag_id
                WHERE t.name IN (\(placeholders(tags.count))) GROUP BY l.\(column) HAVING COUNT(*) = \(tags.count))
            """,
            tags
        )
    }

    static func insert(_ audit: PrivacyAudit, in db: Database) throws {
        guard audit.level != .ephemeral else { return }
        try db.run(
            sql: """
                INSERT INTO privacy_audit(item_kind, item_id, level, detected, redacted, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                audit.itemKind.rawValue, audit.itemID.description, audit.level.rawValue,
                SQLiteValues.jsonObject(audit.detected), SQLiteValues.jsonObject(audit.redacted), Millis(audit.createdAt),
            ]
        )
    }

    /// A page from `limit + 1` rows: the extra row only says there is more.
    static func page<Item>(
        _ rows: [Row],
        limit: Int,
        db: Database,
        decode: ([Row], Database) throws -> [Item]
    ) throws -> Page<Item> {
        let pageRows = Array(rows.prefix(limit))
        var cursor: String?
        if rows.count > limit, let last = pageRows.last {
            cursor = ListCursor.encode(createdAt: String(last["created_at"] as Int64), id: last["id"])
        }
        return Page(items: try decode(pageRows, db), nextCursor: cursor)
    }
}
