import Foundation

/// Bulk copying of stored records, as they are, for `memctx migrate`, `export` and `import`: no redaction,
/// no merging, no usage counting, ids and times kept. Implemented by the SQLite and PostgreSQL stores.
package protocol RecordTransfer: Sendable {
    /// Writes, in one transaction, the records of `batch` whose id is not stored yet, with the privacy audit
    /// rows of the items it inserts; records already stored are left as they are (so importing twice
    /// changes nothing). A reference to an item that is not stored (a checkpoint's session, a pattern's
    /// parent) skips a checkpoint, and is written as null elsewhere; both are reported.
    func importRecords(_ batch: RecordBatch) async throws -> ImportCounts
    /// One page of stored records of `kind`, oldest first (creation time, then id), after `cursor` (nil:
    /// from the start), with the privacy audit rows of the items returned; and the cursor of the next page,
    /// nil after the last.
    func exportRecords(_ kind: RecordKind, scope: ProjectScope, after cursor: String?, limit: Int) async throws
        -> (batch: RecordBatch, next: String?)
}

/// The kinds of records an export holds, in the order they are written (each one's references point to
/// kinds before it).
package enum RecordKind: String, Sendable, Hashable, Codable, CaseIterable {
    case session, checkpoint, pattern, contextLoad
}

/// Records to import, or one page of an export.
package struct RecordBatch: Sendable, Hashable {
    package var sessions: [Session] = []
    package var checkpoints: [Checkpoint] = []
    package var patterns: [Pattern] = []
    package var contextLoads: [ContextLoad] = []
    /// Audit rows of the items above (rows anonymised by a purge have no item and are not carried).
    package var audits: [PrivacyAudit] = []

    package init() {}

    package var isEmpty: Bool { count == 0 }
    package var count: Int { sessions.count + checkpoints.count + patterns.count + contextLoads.count }
}

/// What an import wrote.
package struct ImportCounts: Sendable, Hashable {
    /// Records written, by kind.
    package var inserted: [RecordKind: Int] = [:]
    /// Records whose id was stored already, left alone.
    package var existing: [RecordKind: Int] = [:]
    package var audits = 0
    /// The sessions, checkpoints and patterns written (to push them at once when the store is a replica).
    package var insertedItems: [ItemReference] = []
    /// Records not written, with why.
    package var skipped: [ImportIssue] = []
    /// References written as null because their target is not stored.
    package var droppedReferences: [ImportIssue] = []

    package init() {}

    package mutating func add(_ other: ImportCounts) {
        inserted.merge(other.inserted, uniquingKeysWith: +)
        existing.merge(other.existing, uniquingKeysWith: +)
        audits += other.audits
        insertedItems += other.insertedItems
        skipped += other.skipped
        droppedReferences += other.droppedReferences
    }
}

/// One record an import could not take as it was.
package struct ImportIssue: Sendable, Hashable, Codable {
    /// The table or record kind (`sessions`, `checkpoint`, …).
    package var kind: String
    /// The record's id or legacy key.
    package var key: String
    package var reason: String

    package init(kind: String, key: String, reason: String) {
        self.kind = kind
        self.key = key
        self.reason = reason
    }
}

extension RecordBatch {
    /// The same records in one spelling, for comparing what two stores hold: records and audit rows in a
    /// fixed order, tags sorted, JSON text re-spelled (PostgreSQL's `jsonb` gives back its own spelling).
    package var canonical: RecordBatch {
        var result = RecordBatch()
        result.sessions = sessions.map(\.canonical).sorted { $0.id < $1.id }
        result.checkpoints = checkpoints.map(\.canonical).sorted { $0.id < $1.id }
        result.patterns = patterns.map(\.canonical).sorted { $0.id < $1.id }
        result.contextLoads = contextLoads.sorted { $0.id < $1.id }
        result.audits = audits.sorted {
            ($0.itemID, $0.createdAt, $0.level.rawValue, $0.detected.description) < ($1.itemID, $1.createdAt, $1.level.rawValue, $1.detected.description)
        }
        return result
    }

    package mutating func append(_ other: RecordBatch) {
        sessions += other.sessions
        checkpoints += other.checkpoints
        patterns += other.patterns
        contextLoads += other.contextLoads
        audits += other.audits
    }
}

extension Session {
    /// Tags sorted, JSON re-spelled; `accessedAt` dropped (reads set it).
    package var canonical: Session {
        var session = self
        session.tags.sort()
        session.conversationJSON = JSONText.canonical(session.conversationJSON)
        session.fileChangesJSON = JSONText.canonical(session.fileChangesJSON)
        session.metadataJSON = JSONText.canonical(session.metadataJSON)
        session.accessedAt = nil
        return session
    }
}

extension Checkpoint {
    package var canonical: Checkpoint {
        var checkpoint = self
        checkpoint.metadataJSON = JSONText.canonical(checkpoint.metadataJSON)
        return checkpoint
    }
}

extension Pattern {
    package var canonical: Pattern {
        var pattern = self
        pattern.tags.sort()
        pattern.patternJSON = JSONText.canonical(pattern.patternJSON)
        return pattern
    }
}
