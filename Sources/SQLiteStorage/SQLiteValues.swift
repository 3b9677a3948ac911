import ContextCore
import Foundation
import GRDB

/// Conversions between domain values and SQLite columns.
enum SQLiteValues {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func jsonArray(_ values: [String]) -> String {
        (try? String(decoding: encoder.encode(values), as: UTF8.self)) ?? "[]"
    }

    static func jsonObject(_ values: [String: Int]) -> String {
        (try? String(decoding: encoder.encode(values), as: UTF8.self)) ?? "{}"
    }

    static func stringArray(_ text: String?) -> [String] {
        guard let text, let data = text.data(using: .utf8),
            let values = try? JSONDecoder().decode([String].self, from: data)
        else { return [] }
        return values
    }

    static func id(_ row: Row, _ column: String) -> ItemID? {
        guard let text: String = row[column] else { return nil }
        return ItemID(text)
    }

    static func requiredID(_ row: Row, _ column: String) throws -> ItemID {
        guard let id = id(row, column) else {
            throw ContextError(.internalFailure, "a stored row has an invalid \(column)")
        }
        return id
    }

    static func date(_ row: Row, _ column: String) -> Date? {
        (row[column] as Int64?).map(Millis.date)
    }

    static func requiredDate(_ row: Row, _ column: String) throws -> Date {
        guard let date = date(row, column) else {
            throw ContextError(.internalFailure, "a stored row has an invalid \(column)")
        }
        return date
    }

    static func session(_ row: Row) throws -> Session {
        var session = Session(
            id: try requiredID(row, "id"),
            project: row["project"],
            title: row["title"],
            privacyLevel: PrivacyLevel(rawValue: row["privacy_level"]) ?? .team,
            at: try requiredDate(row, "created_at")
        )
        session.description = row["description"]
        session.contextSummary = row["context_summary"]
        session.status = SessionStatus(rawValue: row["status"]) ?? .active
        session.sessionType = row["session_type"]
        session.conversationJSON = row["conversation"]
        session.decisions = stringArray(row["decisions"])
        session.fileChangesJSON = row["file_changes"]
        session.metadataJSON = row["metadata"]
        session.parentSessionID = id(row, "parent_session_id")
        session.sourceCheckpointID = id(row, "source_checkpoint_id")
        session.durationMinutes = row["duration_minutes"]
        session.messagesCount = row["messages_count"]
        session.filesChanged = row["files_changed"]
        session.piiDetected = row["pii_detected"]
        session.piiRedacted = row["pii_redacted"]
        session.updatedAt = try requiredDate(row, "updated_at")
        session.accessedAt = date(row, "accessed_at")
        session.archivedAt = date(row, "archived_at")
        return session
    }

    static func checkpoint(_ row: Row) throws -> Checkpoint {
        var checkpoint = Checkpoint(
            id: try requiredID(row, "id"),
            sessionID: try requiredID(row, "session_id"),
            project: row["project"],
            description: row["description"],
            at: try requiredDate(row, "created_at")
        )
        checkpoint.content = row["content"]
        checkpoint.checkpointPath = row["checkpoint_path"]
        checkpoint.gitCommit = row["git_commit_hash"]
        checkpoint.gitBranch = row["git_branch"]
        checkpoint.tags = stringArray(row["tags"])
        checkpoint.metadataJSON = row["metadata"]
        checkpoint.privacyLevel = PrivacyLevel(rawValue: row["privacy_level"]) ?? .team
        return checkpoint
    }

    static func pattern(_ row: Row) throws -> Pattern {
        var pattern = Pattern(
            id: try requiredID(row, "id"),
            project: row["project"],
            patternType: PatternType(rawValue: row["pattern_type"]) ?? .workflow,
            name: row["name"],
            at: try requiredDate(row, "created_at")
        )
        pattern.description = row["description"]
        pattern.template = row["template"]
        pattern.patternJSON = row["pattern_json"]
        pattern.confidence = row["confidence"]
        pattern.qualityScore = row["quality_score"]
        pattern.frequency = row["frequency"]
        pattern.reuseCount = row["reuse_count"]
        pattern.successRate = row["success_rate"]
        pattern.sourceSessionID = id(row, "source_session_id")
        pattern.parentPatternID = id(row, "parent_pattern_id")
        pattern.version = row["version"]
        pattern.isLatest = row["is_latest"]
        pattern.deprecated = row["deprecated"]
        pattern.privacyLevel = PrivacyLevel(rawValue: row["privacy_level"]) ?? .team
        pattern.updatedAt = try requiredDate(row, "updated_at")
        pattern.lastUsedAt = date(row, "last_used_at")
        return pattern
    }
}

/// A time stored as INTEGER Unix milliseconds: exact (no text rounding), compact, and sortable.
struct Millis: DatabaseValueConvertible {
    var value: Int64

    init(_ date: Date) { value = Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    var databaseValue: DatabaseValue { value.databaseValue }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Millis? {
        Int64.fromDatabaseValue(dbValue).map { Millis(Millis.date($0)) }
    }
}

/// An opaque listing cursor: the creation time and id of the last item returned, base64url-encoded.
/// Lists are ordered by (created_at, id) descending, so rows inserted meanwhile never shift a page.
enum ListCursor {
    static func encode(createdAt: String, id: String) -> String {
        Data("\(createdAt)|\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) throws(ContextError) -> (createdAt: String, id: String) {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 200, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8)
        else { throw .invalid("cursor", "is not a cursor returned by this server") }
        let parts = text.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, ItemID(parts[1]) != nil else {
            throw .invalid("cursor", "is not a cursor returned by this server")
        }
        return (parts[0], parts[1])
    }
}

/// Builds a WHERE clause and its arguments.
struct SQLConditions {
    private(set) var clauses: [String] = []
    private(set) var arguments = StatementArguments()

    mutating func add(_ clause: String, _ values: [any DatabaseValueConvertible] = []) {
        clauses.append(clause)
        arguments += StatementArguments(values.map { $0.databaseValue })
    }

    var sql: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }

    /// Common list filters on `alias` (project scope, time range, cursor).
    mutating func addListFilter(_ filter: ListFilter, alias: String) throws(ContextError) {
        if case .only(let project) = filter.scope { add("\(alias).project = ?", [project]) }
        if let since = filter.since { add("\(alias).created_at >= ?", [Millis(since)]) }
        if let until = filter.until { add("\(alias).created_at < ?", [Millis(until)]) }
        if let cursor = filter.cursor {
            let (createdAtText, id) = try ListCursor.decode(cursor)
            guard let createdAt = Int64(createdAtText) else {
                throw .invalid("cursor", "is not a cursor returned by this server")
            }
            add("(\(alias).created_at < ? OR (\(alias).created_at = ? AND \(alias).id < ?))", [createdAt, createdAt, id])
        }
    }
}

extension SQLConditions {
    /// Adds every clause of `other`, with its arguments.
    mutating func append(_ other: SQLConditions) {
        for clause in other.clauses { clauses.append(clause) }
        arguments += other.arguments
    }
}
