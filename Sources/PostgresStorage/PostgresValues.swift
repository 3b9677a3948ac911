import ContextCore
import Foundation
import PostgresNIO

/// A `timestamptz` value at millisecond precision, exact both ways.
///
/// postgres-nio's own `Date` coding goes through floating-point seconds and truncates, so a time written and
/// read back can come out a microsecond earlier; listing cursors and equality of read-back items need the
/// exact millisecond the domain uses (`ContextService.currentDate()`).
struct PostgresTime: PostgresNonThrowingEncodable, PostgresDecodable, PostgresArrayEncodable, PostgresArrayDecodable,
    Sendable, Hashable
{
    /// Unix milliseconds.
    var milliseconds: Int64

    init(_ date: Date) { milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    init(milliseconds: Int64) { self.milliseconds = milliseconds }

    var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// PostgreSQL counts microseconds from 2000-01-01 00:00:00 UTC.
    private static let postgresEpochMilliseconds: Int64 = 946_684_800_000

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }
    static var psqlArrayType: PostgresDataType { .timestamptzArray }

    func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger((milliseconds - Self.postgresEpochMilliseconds) * 1000)
    }

    init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer,
        type: PostgresDataType,
        format: PostgresFormat,
        context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary, buffer.readableBytes == 8,
            let microseconds = buffer.readInteger(as: Int64.self)
        else { throw PostgresDecodingError.Code.typeMismatch }
        // Round half away from zero to whole milliseconds.
        let (quotient, remainder) = microseconds.quotientAndRemainder(dividingBy: 1000)
        let rounded = quotient + (remainder >= 500 ? 1 : remainder <= -500 ? -1 : 0)
        milliseconds = rounded + Self.postgresEpochMilliseconds
    }
}

/// JSON texts of the `jsonb` columns, written by us.
enum PostgresJSON {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func array(_ values: [String]) -> String {
        (try? String(decoding: encoder.encode(values), as: UTF8.self)) ?? "[]"
    }

    static func object(_ values: [String: Int]) -> String {
        (try? String(decoding: encoder.encode(values), as: UTF8.self)) ?? "{}"
    }

    static func strings(_ text: String?) -> [String] {
        guard let text, let values = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { return [] }
        return values
    }
}

/// An opaque listing cursor: the creation time (Unix milliseconds) and id of the last item returned,
/// base64url-encoded. The same form as the local repository's, so a cursor stays meaningful when reads move
/// between the two. Lists are ordered by (created_at, id) descending, so rows inserted meanwhile never shift
/// a page.
enum ListCursor {
    static func encode(createdAt: PostgresTime, id: ItemID) -> String {
        Data("\(createdAt.milliseconds)|\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String?) throws(ContextError) -> (createdAt: PostgresTime, id: UUID)? {
        guard let cursor else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 200, let data = Data(base64Encoded: base64),
            let text = String(data: data, encoding: .utf8)
        else { throw .invalid("cursor", "is not a cursor returned by this server") }
        let parts = text.split(separator: "|", maxSplits: 1).map(String.init)
        guard parts.count == 2, let milliseconds = Int64(parts[0]), let id = ItemID(parts[1]) else {
            throw .invalid("cursor", "is not a cursor returned by this server")
        }
        return (PostgresTime(milliseconds: milliseconds), id.uuid)
    }
}

/// Reads columns of a result row by name, with errors that name the column.
struct RowReader {
    private let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func callAsFunction<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        do {
            return try row[column].decode(Value.self)
        } catch {
            throw ContextError(.internalFailure, "a stored row has an unreadable \(column)", underlying: error)
        }
    }

    func id(_ column: String) throws -> ItemID { ItemID(try self(column, as: UUID.self)) }

    func optionalID(_ column: String) throws -> ItemID? { try self(column, as: UUID?.self).map(ItemID.init) }

    func date(_ column: String) throws -> Date { try self(column, as: PostgresTime.self).date }

    func optionalDate(_ column: String) throws -> Date? { try self(column, as: PostgresTime?.self)?.date }
}

/// Conversions between rows and domain values.
///
/// The column lists are spliced into queries as SQL text (`\(unescaped:)`): they are constants of this type,
/// never input.
enum PostgresRows {
    /// The columns `session(_:)` reads; `s` is the sessions table.
    static let sessionColumns = """
        s.id, s.project, s.title, s.description, s.context_summary, s.privacy_level, s.status, s.session_type,
        s.conversation::text AS conversation, s.decisions::text AS decisions, s.file_changes::text AS file_changes,
        s.metadata::text AS metadata, s.parent_session_id, s.source_checkpoint_id, s.duration_minutes,
        s.messages_count, s.files_changed, s.pii_detected, s.pii_redacted, s.created_at, s.updated_at,
        s.accessed_at, s.archived_at,
        ARRAY(SELECT t.name FROM session_tags l JOIN tags t ON t.id = l.tag_id
              WHERE l.session_id = s.id ORDER BY t.name) AS tags
        """

    /// The columns `checkpoint(_:)` reads; `c` is the checkpoints table.
    static let checkpointColumns = """
        c.id, c.session_id, c.project, c.description, c.content, c.checkpoint_path, c.git_commit_hash, c.git_branch,
        c.tags::text AS tags, c.metadata::text AS metadata, c.privacy_level, c.created_at
        """

    /// The columns `pattern(_:)` reads; `p` is the patterns table.
    static let patternColumns = """
        p.id, p.project, p.pattern_type, p.name, p.description, p.template, p.pattern_json::text AS pattern_json,
        p.confidence, p.quality_score, p.frequency, p.reuse_count, p.success_rate, p.source_session_id,
        p.parent_pattern_id, p.version, p.is_latest, p.deprecated, p.privacy_level, p.created_at, p.updated_at,
        p.last_used_at,
        ARRAY(SELECT t.name FROM pattern_tags l JOIN tags t ON t.id = l.tag_id
              WHERE l.pattern_id = p.id ORDER BY t.name) AS tags
        """

    static func session(_ row: PostgresRow) throws -> Session {
        let read = RowReader(row)
        var session = Session(
            id: try read.id("id"),
            project: try read("project"),
            title: try read("title"),
            privacyLevel: PrivacyLevel(rawValue: try read("privacy_level")) ?? .team,
            at: try read.date("created_at")
        )
        session.description = try read("description")
        session.contextSummary = try read("context_summary")
        session.status = SessionStatus(rawValue: try read("status")) ?? .active
        session.sessionType = try read("session_type")
        session.conversationJSON = try read("conversation")
        session.decisions = PostgresJSON.strings(try read("decisions"))
        session.fileChangesJSON = try read("file_changes")
        session.metadataJSON = try read("metadata")
        session.parentSessionID = try read.optionalID("parent_session_id")
        session.sourceCheckpointID = try read.optionalID("source_checkpoint_id")
        session.durationMinutes = try read("duration_minutes")
        session.messagesCount = try read("messages_count")
        session.filesChanged = try read("files_changed")
        session.piiDetected = try read("pii_detected")
        session.piiRedacted = try read("pii_redacted")
        session.tags = try read("tags")
        session.updatedAt = try read.date("updated_at")
        session.accessedAt = try read.optionalDate("accessed_at")
        session.archivedAt = try read.optionalDate("archived_at")
        return session
    }

    static func checkpoint(_ row: PostgresRow) throws -> Checkpoint {
        let read = RowReader(row)
        var checkpoint = Checkpoint(
            id: try read.id("id"),
            sessionID: try read.id("session_id"),
            project: try read("project"),
            description: try read("description"),
            at: try read.date("created_at")
        )
        checkpoint.content = try read("content")
        checkpoint.checkpointPath = try read("checkpoint_path")
        checkpoint.gitCommit = try read("git_commit_hash")
        checkpoint.gitBranch = try read("git_branch")
        checkpoint.tags = PostgresJSON.strings(try read("tags"))
        checkpoint.metadataJSON = try read("metadata")
        checkpoint.privacyLevel = PrivacyLevel(rawValue: try read("privacy_level")) ?? .team
        return checkpoint
    }

    static func pattern(_ row: PostgresRow) throws -> Pattern {
        let read = RowReader(row)
        var pattern = Pattern(
            id: try read.id("id"),
            project: try read("project"),
            patternType: PatternType(rawValue: try read("pattern_type")) ?? .workflow,
            name: try read("name"),
            at: try read.date("created_at")
        )
        pattern.description = try read("description")
        pattern.template = try read("template")
        pattern.patternJSON = try read("pattern_json")
        pattern.confidence = try read("confidence")
        pattern.qualityScore = try read("quality_score")
        pattern.frequency = try read("frequency")
        pattern.reuseCount = try read("reuse_count")
        pattern.successRate = try read("success_rate")
        pattern.sourceSessionID = try read.optionalID("source_session_id")
        pattern.parentPatternID = try read.optionalID("parent_pattern_id")
        pattern.version = try read("version")
        pattern.isLatest = try read("is_latest")
        pattern.deprecated = try read("deprecated")
        pattern.privacyLevel = PrivacyLevel(rawValue: try read("privacy_level")) ?? .team
        pattern.tags = try read("tags")
        pattern.updatedAt = try read.date("updated_at")
        pattern.lastUsedAt = try read.optionalDate("last_used_at")
        return pattern
    }

    /// A page from `limit + 1` decoded items: the extra one only says there is more.
    static func page<Item>(_ items: [Item], limit: Int, createdAt: (Item) -> Date, id: (Item) -> ItemID) -> Page<Item> {
        let pageItems = Array(items.prefix(limit))
        var cursor: String?
        if items.count > limit, let last = pageItems.last {
            cursor = ListCursor.encode(createdAt: PostgresTime(createdAt(last)), id: id(last))
        }
        return Page(items: pageItems, nextCursor: cursor)
    }
}
