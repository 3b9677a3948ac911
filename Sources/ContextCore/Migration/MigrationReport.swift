import Foundation

/// The validation report of `memctx migrate` (printed as JSON on stdout; docs/migration.md).
package struct MigrationReport: Sendable, Codable {
    package struct Table: Sendable, Codable, Hashable {
        package var table: String
        /// Rows in the legacy table.
        package var source: Int
        /// Rows not imported (listed in `skipped`).
        package var skipped: Int
        /// What the table becomes in memctx (for tags and tag links: distinct names and pairs).
        package var expected: Int
        /// What the repository holds of it after the run (before it, in a dry run).
        package var target: Int
        /// `target == expected`, and every source row imported or skipped (rows tables).
        package var match: Bool
    }

    package struct ForeignKeys: Sendable, Codable {
        /// `PRAGMA foreign_key_check` of the source.
        package var sourceViolations: [String] = []
        /// References checked in the repository after the run.
        package var checked = 0
        /// References that lead nowhere.
        package var broken: [String] = []
    }

    package struct Checksum: Sendable, Codable {
        /// SHA-256 of the records as prepared (after redaction), in id order.
        package var expected: String
        /// The same over the records read back from the repository.
        package var target: String?
        package var match: Bool
    }

    package struct Embeddings: Sendable, Codable {
        /// Vectors made by this run, by kind.
        package var generated: [String: Int] = [:]
        /// Items of the repository still without a vector, by kind.
        package var missing: [String: Int] = [:]
        package var detail: String?
    }

    package var dryRun: Bool
    package var ok = false
    package var source: [String: String] = [:]
    package var tables: [Table] = []
    /// Sessions memctx made to hold checkpoints whose session is missing.
    package var createdSessions = 0
    package var skipped: [ImportIssue]
    package var warnings: [ImportIssue]
    package var merged: [String: Int]
    package var columnsNotKept: [String: [String]]
    package var missingColumns: [String: [String]]
    package var redacted: [String: Int]
    package var foreignKeys = ForeignKeys()
    package var checksum: Checksum
    /// Planned records already in the repository before this run (a second run finds them all).
    package var alreadyPresent: [String: Int] = [:]
    /// Records this run wrote, by kind.
    package var inserted: [String: Int] = [:]
    /// Records that differ from the source although this run wrote them (a failure).
    package var mismatched: [String] = []
    /// Records imported by an earlier run and changed since (reported, not a failure).
    package var changedSinceImport: [String] = []
    package var embeddings = Embeddings()
    package var seconds: [String: Double] = [:]
    package var rowsPerSecond: Double?
    package var embeddingsPerSecond: Double?

    private var plan: LegacyMigrationPlan?
    private var presentBefore: Set<ItemID> = []

    package enum CodingKeys: String, CodingKey {
        case dryRun, ok, source, tables, createdSessions, skipped, warnings, merged, columnsNotKept, missingColumns,
            redacted, foreignKeys, checksum, alreadyPresent, inserted, mismatched, changedSinceImport, embeddings,
            seconds, rowsPerSecond, embeddingsPerSecond
    }

    init(dryRun: Bool, plan: LegacyMigrationPlan) {
        self.dryRun = dryRun
        self.plan = plan
        createdSessions = plan.createdSessions.count
        skipped = plan.skipped
        warnings = plan.warnings
        merged = plan.merged
        columnsNotKept = plan.columnsNotKept
        missingColumns = plan.missingColumns
        redacted = plan.redacted
        checksum = Checksum(expected: Self.checksum(plan.batch), target: nil, match: false)
    }

    mutating func noteImported(_ counts: ImportCounts) {
        inserted = Dictionary(uniqueKeysWithValues: counts.inserted.map { ($0.key.rawValue, $0.value) })
        inserted["privacyAudit"] = counts.audits
    }

    mutating func noteBefore(_ readBack: ReadBack) {
        presentBefore = Set(readBack.sessions.keys).union(readBack.checkpoints.keys).union(readBack.patterns.keys)
            .union(readBack.contextLoads.keys)
    }

    /// Fills the tables, references, checksum and verdict from what the repository holds.
    mutating func finish(readBack: ReadBack?) {
        guard let plan else { return }
        let batch = plan.batch
        let created = Set(plan.createdSessions)
        let skippedBy = Dictionary(grouping: plan.skipped, by: \.kind).mapValues(\.count)
        func row(_ table: String, target: Int, rows: Bool) -> Table {
            let source = plan.sourceRows[table] ?? 0
            let expected = plan.expected[table] ?? 0
            let skipped = skippedBy[table] ?? 0
            let accounted = !rows || source == expected + skipped
            return Table(table: table, source: source, skipped: skipped, expected: expected, target: target, match: target == expected && accounted)
        }
        let found = readBack
        let sessions = found.map { $0.sessions.values.filter { !created.contains($0.id) } } ?? []
        let patterns = found.map { Array($0.patterns.values) } ?? []
        let itemsFound = (found?.sessions.count ?? 0) + (found?.checkpoints.count ?? 0) + (found?.patterns.count ?? 0)
        let auditsFound = (found?.audits.values.reduce(0, +) ?? 0) - itemsFound
        tables = [
            row("sessions", target: sessions.count, rows: true),
            row("checkpoints", target: found?.checkpoints.count ?? 0, rows: true),
            row("patterns", target: patterns.count, rows: true),
            row("tags", target: Set(sessions.flatMap(\.tags) + patterns.flatMap(\.tags)).count, rows: false),
            row("session_tags", target: sessions.reduce(0) { $0 + $1.tags.count }, rows: false),
            row("pattern_tags", target: patterns.reduce(0) { $0 + $1.tags.count }, rows: false),
            row("context_loads", target: found?.contextLoads.count ?? 0, rows: true),
            row("privacy_audit", target: max(0, auditsFound), rows: true),
            row("db_metadata", target: 0, rows: true),
        ].filter { $0.source > 0 || $0.expected > 0 || $0.target > 0 }

        guard let found else {
            // A dry run reports; the targets are what is there already.
            ok = true
            return
        }
        var references = 0
        var broken: [String] = []
        func check(_ id: ItemID?, in set: Set<ItemID>, _ what: String) {
            guard let id else { return }
            references += 1
            if !set.contains(id) { broken.append("\(what) → \(id)") }
        }
        for session in found.sessions.values { check(session.parentSessionID, in: found.allSessions, "session \(session.id) parentSessionId") }
        for checkpoint in found.checkpoints.values { check(checkpoint.sessionID, in: found.allSessions, "checkpoint \(checkpoint.id) sessionId") }
        for pattern in found.patterns.values {
            check(pattern.sourceSessionID, in: found.allSessions, "pattern \(pattern.id) sourceSessionId")
            check(pattern.parentPatternID, in: found.allPatterns, "pattern \(pattern.id) parentPatternId")
        }
        for load in found.contextLoads.values { check(load.sessionID, in: found.allSessions, "context load \(load.id) sessionId") }
        foreignKeys.sourceViolations = plan.foreignKeyViolations
        foreignKeys.checked = references
        foreignKeys.broken = broken.sorted()

        var readBatch = RecordBatch()
        readBatch.sessions = batch.sessions.compactMap { found.sessions[$0.id] }
        readBatch.checkpoints = batch.checkpoints.compactMap { found.checkpoints[$0.id] }
        readBatch.patterns = batch.patterns.compactMap { found.patterns[$0.id] }
        readBatch.contextLoads = batch.contextLoads.compactMap { found.contextLoads[$0.id] }
        var differing: [ItemID] = []
        func compare<Item: Hashable>(_ planned: [Item], _ stored: [ItemID: Item], id: (Item) -> ItemID, normal: (Item) -> Item) {
            for item in planned {
                guard let storedItem = stored[id(item)] else { continue }
                if normal(item) != normal(storedItem) { differing.append(id(item)) }
            }
        }
        compare(batch.sessions, found.sessions, id: \.id) { $0.canonical }
        compare(batch.checkpoints, found.checkpoints, id: \.id) { $0.canonical }
        compare(batch.patterns, found.patterns, id: \.id) { $0.canonical }
        compare(batch.contextLoads, found.contextLoads, id: \.id) { $0 }
        mismatched = differing.filter { !presentBefore.contains($0) }.map(\.description).sorted()
        changedSinceImport = differing.filter { presentBefore.contains($0) }.map(\.description).sorted()
        let targetSum = Self.checksum(readBatch)
        checksum.target = targetSum
        checksum.match = targetSum == checksum.expected
        ok = tables.allSatisfy(\.match) && broken.isEmpty && mismatched.isEmpty && (checksum.match || !changedSinceImport.isEmpty)
    }

    /// SHA-256 over the records' text fields and values in a canonical spelling (JSON re-spelled, tags sorted).
    static func checksum(_ batch: RecordBatch) -> String {
        var hasher = SHA256()
        var writer = TransferFile.Writer()
        var normalised = RecordBatch()
        normalised.sessions = batch.sessions.map(\.canonical)
        normalised.checkpoints = batch.checkpoints.map(\.canonical)
        normalised.patterns = batch.patterns.map(\.canonical)
        normalised.contextLoads = batch.contextLoads
        hasher.update((try? writer.encode(normalised)) ?? Data())
        return hasher.finalize().hexString
    }
}
