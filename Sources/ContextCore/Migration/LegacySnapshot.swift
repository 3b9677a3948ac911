package import Foundation

/// The rows of a legacy MEMORY-CONTEXT database (../shared/legacy/memory-context-schema.sql), read as they
/// are: column names to values, with no assumption about which optional columns exist.
package struct LegacySnapshot: Sendable {
    package var tables: [String: LegacyTable]
    /// Rows SQLite's `PRAGMA foreign_key_check` reports in the source, as "table rowid → parent".
    package var foreignKeyViolations: [String]

    package init(tables: [String: LegacyTable], foreignKeyViolations: [String] = []) {
        self.tables = tables
        self.foreignKeyViolations = foreignKeyViolations
    }

    /// The tables of the legacy schema, in the order they are mapped.
    package static let knownTables = [
        "db_metadata", "sessions", "checkpoints", "patterns", "tags", "session_tags", "pattern_tags",
        "context_loads", "privacy_audit",
    ]

    /// Columns each table must have for its rows to mean anything; the others are optional.
    package static let requiredColumns: [String: [String]] = [
        "sessions": ["session_id"],
        "checkpoints": ["checkpoint_id"],
        "patterns": ["pattern_id", "pattern_type", "name"],
        "tags": ["id", "tag_name"],
        "session_tags": ["session_id", "tag_id"],
        "pattern_tags": ["pattern_id", "tag_id"],
        "privacy_audit": ["session_id"],
    ]

    /// Every column the mapping reads, by table: a column outside this list is reported as not imported.
    package static let knownColumns: [String: Set<String>] = [
        "db_metadata": ["key", "value", "updated_at"],
        "sessions": [
            "id", "session_id", "timestamp", "privacy_level", "pii_detected", "pii_redacted", "gdpr_compliant", "title",
            "description", "conversation_json", "metadata_json", "decisions_json", "file_changes_json",
            "context_summary", "tags_json", "embedding_id", "status", "session_type", "source_checkpoint_id",
            "duration_minutes", "messages_count", "files_changed", "created_at", "updated_at", "accessed_at",
            "archived_at", "parent_session_id", "related_sessions_json",
        ],
        "checkpoints": [
            "id", "checkpoint_id", "checkpoint_path", "timestamp", "git_commit_hash", "description", "session_id",
            "created_at",
        ],
        "patterns": [
            "id", "pattern_id", "pattern_type", "name", "description", "template", "pattern_json", "confidence",
            "quality_score", "frequency", "reuse_count", "success_rate", "embedding_id", "source_session_id",
            "related_patterns_json", "parent_pattern_id", "version", "is_latest", "deprecated", "created_at",
            "updated_at", "last_used_at",
        ],
        "tags": ["id", "tag_name", "tag_type", "description"],
        "session_tags": ["session_id", "tag_id"],
        "pattern_tags": ["pattern_id", "tag_id"],
        "context_loads": ["id", "session_id", "query", "loaded_items_json", "token_count", "relevance_score", "loaded_at"],
        "privacy_audit": [
            "id", "session_id", "audit_timestamp", "privacy_level", "pii_detected", "pii_redacted",
            "redaction_summary_json", "user_consent", "gdpr_compliant", "data_retention_days",
        ],
    ]
}

package struct LegacyTable: Sendable {
    package var name: String
    package var columns: [String]
    package var rows: [LegacyRow]

    package init(name: String, columns: [String], rows: [LegacyRow]) {
        self.name = name
        self.columns = columns
        self.rows = rows
    }
}

package struct LegacyRow: Sendable {
    /// SQLite's rowid, to name the row in reports.
    package var rowid: Int64
    package var values: [String: LegacyValue]

    package init(rowid: Int64, values: [String: LegacyValue]) {
        self.rowid = rowid
        self.values = values
    }

    /// The value as text (numbers written out), nil when NULL, missing or empty.
    package func text(_ column: String) -> String? {
        switch values[column] {
        case .text(let text): text.isEmpty ? nil : text
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .blob(let data): String(data: data, encoding: .utf8)
        case .null, nil: nil
        }
    }

    package func integer(_ column: String) -> Int64? {
        switch values[column] {
        case .integer(let value): value
        case .real(let value): value.rounded() == value ? Int64(exactly: value) : nil
        case .text(let text): Int64(text.trimmingWhitespace())
        default: nil
        }
    }

    package func real(_ column: String) -> Double? {
        switch values[column] {
        case .integer(let value): Double(value)
        case .real(let value): value
        case .text(let text): Double(text.trimmingWhitespace())
        default: nil
        }
    }

    /// SQLite booleans: 0/1, and the texts `true`/`false` some writers leave.
    package func bool(_ column: String) -> Bool? {
        switch values[column] {
        case .integer(let value): value != 0
        case .real(let value): value != 0
        case .text(let text):
            switch text.trimmingWhitespace().lowercased() {
            case "1", "true", "t", "yes": true
            case "0", "false", "f", "no": false
            default: nil
            }
        default: nil
        }
    }
}

/// A SQLite value as stored.
package enum LegacyValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}
