import Foundation

extension RecordBatch {
    /// The records an import may write as they are, and those it must not, with why: the same bounds the
    /// methods and the stores' constraints hold (an export file can be edited by hand).
    package func validated() -> (batch: RecordBatch, rejected: [ImportIssue]) {
        var valid = RecordBatch()
        var rejected: [ImportIssue] = []
        func check(_ kind: String, _ id: ItemID, _ problems: [String?]) -> Bool {
            let found = problems.compactMap { $0 }
            guard found.isEmpty else {
                rejected.append(ImportIssue(kind: kind, key: id.description, reason: found.joined(separator: "; ")))
                return false
            }
            return true
        }
        for session in sessions
        where check("session", session.id, [
            Self.project(session.project), Self.text(session.title, "title", maximum: Limits.title),
            Self.stored(session.privacyLevel), Self.json(session.conversationJSON, "conversationJson", object: false),
            Self.json(session.fileChangesJSON, "fileChangesJson", object: false), Self.json(session.metadataJSON, "metadataJson", object: true),
            Self.count(session.durationMinutes, "durationMinutes"), Self.count(session.messagesCount, "messagesCount"),
            Self.count(session.filesChanged, "filesChanged"), Self.tags(session.tags),
        ]) {
            valid.sessions.append(session)
        }
        for checkpoint in checkpoints
        where check("checkpoint", checkpoint.id, [
            Self.project(checkpoint.project), Self.text(checkpoint.description, "description", maximum: Int.max),
            Self.stored(checkpoint.privacyLevel), Self.json(checkpoint.metadataJSON, "metadataJson", object: true),
            checkpoint.gitCommit.map { (4...64).contains($0.count) ? nil : "'gitCommit' must be 4 to 64 characters" } ?? nil,
            Self.tags(checkpoint.tags),
        ]) {
            valid.checkpoints.append(checkpoint)
        }
        for pattern in patterns
        where check("pattern", pattern.id, [
            Self.project(pattern.project), Self.text(pattern.name, "name", maximum: Limits.name), Self.stored(pattern.privacyLevel),
            Self.json(pattern.patternJSON, "patternJson", object: false), Self.unit(pattern.confidence, "confidence"),
            Self.unit(pattern.qualityScore, "qualityScore"), Self.unit(pattern.successRate, "successRate"),
            pattern.frequency >= 1 ? nil : "'frequency' must be at least 1", Self.count(pattern.reuseCount, "reuseCount"),
            pattern.version >= 1 ? nil : "'version' must be at least 1", Self.tags(pattern.tags),
        ]) {
            valid.patterns.append(pattern)
        }
        for load in contextLoads
        where check("contextLoad", load.id, [
            Self.project(load.project), Self.count(load.tokensUsed, "tokensUsed"), Self.count(load.decisionCount, "decisionCount"),
            load.tokenBudget > 0 ? nil : "'tokenBudget' must be positive",
        ]) {
            valid.contextLoads.append(load)
        }
        valid.audits = audits.filter { $0.level != .ephemeral }
        return (valid, rejected)
    }

    private static func project(_ value: String) -> String? {
        (try? Validate.project(value)) == nil ? "'project' must be 1 to \(Limits.project) characters" : nil
    }

    private static func text(_ value: String, _ field: String, maximum: Int) -> String? {
        if value.trimmingWhitespace().isEmpty { return "'\(field)' must not be empty" }
        return value.count > maximum ? "'\(field)' is longer than \(maximum) characters" : nil
    }

    private static func stored(_ level: PrivacyLevel) -> String? {
        level == .ephemeral ? "'privacyLevel' ephemeral items are never stored" : nil
    }

    private static func json(_ text: String?, _ field: String, object: Bool) -> String? {
        guard let text else { return nil }
        guard let value = JSONText.parse(text) else { return "'\(field)' is not valid JSON" }
        return object && !(value is [String: Any]) ? "'\(field)' must be a JSON object" : nil
    }

    private static func count(_ value: Int?, _ field: String) -> String? {
        guard let value else { return nil }
        return value >= 0 && value <= Int(Int32.max) ? nil : "'\(field)' must be a count (0 or more)"
    }

    private static func unit(_ value: Double?, _ field: String) -> String? {
        guard let value else { return nil }
        return (0...1).contains(value) ? nil : "'\(field)' must be between 0 and 1"
    }

    private static func tags(_ values: [String]) -> String? {
        guard let normalised = try? Validate.tags(values) else { return "'tags' holds a tag that is not valid" }
        return normalised == values ? nil : "'tags' must be lower-case, trimmed and without repeats"
    }
}
