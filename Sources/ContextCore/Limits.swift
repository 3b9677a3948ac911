/// Size limits of text fields (documented in protocol/openrpc.json and docs/api.md). Longer input is
/// rejected with the field's name, never truncated silently.
package enum Limits {
    package static let title = 500
    package static let description = 10_000
    /// Markdown content of a checkpoint, in UTF-8 bytes (1 MiB).
    package static let content = 1_048_576
    package static let name = 500
    package static let template = 100_000
    package static let shortText = 500
    package static let summary = 50_000
    /// Free-form JSON (metadata, conversation, …), in UTF-8 bytes.
    package static let json = 262_144
    package static let tags = 50
    package static let tag = 64
    package static let decisions = 200
    package static let decision = 2_000
    package static let query = 2_000
    package static let project = 200
    package static let maximumListLimit = 100
    package static let defaultListLimit = 20
    package static let minimumTokenBudget = 50
    package static let maximumTokenBudget = 100_000
    package static let defaultTokenBudget = 2_000
}

/// Checks shared by the services; errors name the wire field.
package enum Validate {
    package static func text(_ value: String, field: String, maximum: Int, allowEmpty: Bool = false) throws(ContextError)
        -> String
    {
        let trimmed = value.trimmingWhitespace()
        if !allowEmpty, trimmed.isEmpty { throw .invalid(field, "must not be empty") }
        if value.count > maximum { throw .invalid(field, "is longer than \(maximum) characters") }
        return value
    }

    package static func optionalText(_ value: String?, field: String, maximum: Int) throws(ContextError) -> String? {
        guard let value else { return nil }
        if value.count > maximum { throw .invalid(field, "is longer than \(maximum) characters") }
        return value
    }

    package static func bytes(_ value: String?, field: String, maximum: Int) throws(ContextError) -> String? {
        guard let value else { return nil }
        if value.utf8.count > maximum { throw .invalid(field, "is larger than \(maximum) bytes") }
        return value
    }

    package static func unitInterval(_ value: Double?, field: String) throws(ContextError) -> Double? {
        guard let value else { return nil }
        guard value.isFinite, (0...1).contains(value) else { throw .invalid(field, "must be between 0 and 1") }
        return value
    }

    package static func limit(_ value: Int?, field: String = "limit") throws(ContextError) -> Int {
        guard let value else { return Limits.defaultListLimit }
        guard (1...Limits.maximumListLimit).contains(value) else {
            throw .invalid(field, "must be between 1 and \(Limits.maximumListLimit)")
        }
        return value
    }

    /// Tags: trimmed, lower-cased, de-duplicated; each 1…64 characters of letters, digits, `-_.:/`.
    package static func tags(_ values: [String]?, field: String = "tags") throws(ContextError) -> [String] {
        guard let values else { return [] }
        if values.count > Limits.tags { throw .invalid(field, "has more than \(Limits.tags) tags") }
        var result: [String] = []
        for (index, raw) in values.enumerated() {
            let tag = raw.trimmingWhitespace().lowercased()
            guard !tag.isEmpty, tag.count <= Limits.tag else {
                throw .invalid("\(field)[\(index)]", "must be 1 to \(Limits.tag) characters")
            }
            guard tag.allSatisfy({ $0.isLetter || $0.isNumber || "-_.:/ ".contains($0) }) else {
                throw .invalid("\(field)[\(index)]", "may contain letters, digits, spaces and - _ . : / only")
            }
            if !result.contains(tag) { result.append(tag) }
        }
        return result
    }

    package static func project(_ value: String, field: String = "project") throws(ContextError) -> String {
        let trimmed = value.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .invalid(field, "must not be empty") }
        guard trimmed.count <= Limits.project else { throw .invalid(field, "is longer than \(Limits.project) characters") }
        return trimmed
    }
}

extension String {
    package func trimmingWhitespace() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view = view.dropFirst() }
        while let last = view.last, last.isWhitespace { view = view.dropLast() }
        return String(view)
    }
}
