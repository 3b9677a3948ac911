import ContextCore
import ContextProtocol
import Foundation
import JSONRPC

/// Conversions between wire types (ContextProtocol) and domain types (ContextCore).
enum WireMapping {
    // MARK: Params → domain

    static func id(_ text: String, field: String) throws(ContextError) -> ItemID {
        guard let id = ItemID(text) else {
            throw .invalid(field, "must be a UUID such as 0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00")
        }
        return id
    }

    static func optionalID(_ text: String?, field: String) throws(ContextError) -> ItemID? {
        guard let text else { return nil }
        return try id(text, field: field)
    }

    static func jsonText(_ value: JSONValue?, field: String, requireObject: Bool = false) throws(ContextError) -> String? {
        guard let value else { return nil }
        if requireObject, case .object = value {} else if requireObject {
            throw .invalid(field, "must be a JSON object")
        }
        if case .null = value { return nil }
        guard let bytes = try? WireCoding.encode(value) else { throw .invalid(field, "must be valid JSON") }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func jsonValue(_ text: String?) -> JSONValue? {
        guard let text, let value = try? WireCoding.makeDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            return nil
        }
        return value
    }

    static func privacy(_ level: WirePrivacyLevel?) -> PrivacyLevel? { level.flatMap { PrivacyLevel(rawValue: $0.rawValue) } }
    static func status(_ status: WireSessionStatus?) -> SessionStatus? { status.flatMap { SessionStatus(rawValue: $0.rawValue) } }
    static func patternType(_ type: WirePatternType?) -> PatternType? { type.flatMap { PatternType(rawValue: $0.rawValue) } }
    static func mode(_ mode: WireSearchMode?) -> SearchMode? { mode.flatMap { SearchMode(rawValue: $0.rawValue) } }

    static func listFilter(
        scope: ProjectScope,
        tags: [String]?,
        since: Date?,
        until: Date?,
        limit: Int?,
        cursor: String?
    ) throws(ContextError) -> ListFilter {
        var filter = ListFilter(scope: scope)
        filter.tags = try Validate.tags(tags)
        filter.since = since
        filter.until = until
        if let since, let until, since >= until { throw .invalid("until", "must be later than 'since'") }
        filter.limit = try Validate.limit(limit)
        filter.cursor = cursor
        return filter
    }

    // MARK: Domain → wire

    static func wire(_ session: Session) -> WireSession {
        var wire = WireSession(
            id: session.id.description,
            project: session.project,
            title: session.title,
            privacyLevel: WirePrivacyLevel(rawValue: session.privacyLevel.rawValue) ?? .team,
            status: WireSessionStatus(rawValue: session.status.rawValue) ?? .active,
            createdAt: session.createdAt
        )
        wire.description = session.description
        wire.contextSummary = session.contextSummary
        wire.sessionType = session.sessionType
        wire.conversation = jsonValue(session.conversationJSON)
        wire.decisions = session.decisions
        wire.fileChanges = jsonValue(session.fileChangesJSON)
        wire.metadata = jsonValue(session.metadataJSON)
        wire.parentSessionId = session.parentSessionID?.description
        wire.sourceCheckpointId = session.sourceCheckpointID?.description
        wire.durationMinutes = session.durationMinutes
        wire.messagesCount = session.messagesCount
        wire.filesChanged = session.filesChanged
        wire.piiDetected = session.piiDetected
        wire.piiRedacted = session.piiRedacted
        wire.tags = session.tags
        wire.updatedAt = session.updatedAt
        wire.accessedAt = session.accessedAt
        wire.archivedAt = session.archivedAt
        return wire
    }

    static func wire(_ checkpoint: Checkpoint) -> WireCheckpoint {
        var wire = WireCheckpoint(
            id: checkpoint.id.description,
            sessionId: checkpoint.sessionID.description,
            project: checkpoint.project,
            description: checkpoint.description,
            privacyLevel: WirePrivacyLevel(rawValue: checkpoint.privacyLevel.rawValue) ?? .team,
            createdAt: checkpoint.createdAt
        )
        wire.content = checkpoint.content
        wire.checkpointPath = checkpoint.checkpointPath
        wire.gitCommit = checkpoint.gitCommit
        wire.gitBranch = checkpoint.gitBranch
        wire.tags = checkpoint.tags
        wire.metadata = jsonValue(checkpoint.metadataJSON)
        return wire
    }

    static func wire(_ pattern: Pattern) -> WirePattern {
        var wire = WirePattern(
            id: pattern.id.description,
            project: pattern.project,
            patternType: WirePatternType(rawValue: pattern.patternType.rawValue) ?? .workflow,
            name: pattern.name,
            privacyLevel: WirePrivacyLevel(rawValue: pattern.privacyLevel.rawValue) ?? .team,
            createdAt: pattern.createdAt
        )
        wire.description = pattern.description
        wire.template = pattern.template
        wire.patternJson = jsonValue(pattern.patternJSON)
        wire.confidence = pattern.confidence
        wire.qualityScore = pattern.qualityScore
        wire.frequency = pattern.frequency
        wire.reuseCount = pattern.reuseCount
        wire.successRate = pattern.successRate
        wire.sourceSessionId = pattern.sourceSessionID?.description
        wire.parentPatternId = pattern.parentPatternID?.description
        wire.version = pattern.version
        wire.isLatest = pattern.isLatest
        wire.deprecated = pattern.deprecated
        wire.tags = pattern.tags
        wire.updatedAt = pattern.updatedAt
        wire.lastUsedAt = pattern.lastUsedAt
        return wire
    }

    static func storage(_ location: StorageLocation) -> WireStorage {
        WireStorage(rawValue: location.rawValue) ?? .local
    }

    static func searchMode(_ mode: SearchMode) -> WireSearchMode {
        WireSearchMode(rawValue: mode.rawValue) ?? .lexical
    }
}
