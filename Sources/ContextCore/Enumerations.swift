/// How much of an item's text may be kept, and who may see it (DESIGN.md §5).
package enum PrivacyLevel: String, Sendable, Hashable, Codable, CaseIterable {
    /// Shareable: every kind of PII and every secret is redacted.
    case `public`
    /// The default: secrets, card numbers and national ids are redacted.
    case team
    /// Only secrets are redacted.
    case `private`
    /// Never stored; only used to answer the call.
    case ephemeral
}

package enum SessionStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case active, archived, deleted
}

package enum PatternType: String, Sendable, Hashable, Codable, CaseIterable {
    case workflow, decision, code, error, architecture, configuration
}

/// The kinds of stored items that search and context loading return.
package enum ItemKind: String, Sendable, Hashable, Codable, CaseIterable {
    case session, checkpoint, pattern
}

/// How search ranks: lexical (FTS5 bm25) now; semantic and hybrid need the embedding model.
package enum SearchMode: String, Sendable, Hashable, Codable, CaseIterable {
    case hybrid, semantic, lexical
}
