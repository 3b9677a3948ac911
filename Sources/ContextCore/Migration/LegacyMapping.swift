package import Foundation

/// Turns the rows of a legacy MEMORY-CONTEXT database into memctx records (docs/migration.md):
/// stable ids from the business keys, times parsed, JSON repaired, tags gathered, text redacted at each
/// item's privacy level, and every row that cannot be kept reported with why.
package struct LegacyMapping: Sendable {
    package var defaultProject: String
    package var redactor = Redactor()
    /// When the migration runs: the time of its audit rows, and of rows that carry no time at all.
    package var now: Date

    package init(defaultProject: String, now: Date) {
        self.defaultProject = defaultProject
        self.now = Date(timeIntervalSince1970: (now.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    package func plan(_ snapshot: LegacySnapshot) -> LegacyMigrationPlan {
        var state = State(mapping: self, snapshot: snapshot)
        state.run()
        return state.plan
    }
}

/// What a migration will write, and what it will not, with why.
package struct LegacyMigrationPlan: Sendable {
    /// Everything to write, each kind ordered so that references point backwards.
    package var batch = RecordBatch()
    /// Rows per legacy table.
    package var sourceRows: [String: Int] = [:]
    /// What each legacy table becomes in the target (tag links: distinct pairs after normalising).
    package var expected: [String: Int] = [:]
    /// Rows not imported.
    package var skipped: [ImportIssue] = []
    /// Rows imported with a change: a value repaired, a reference that leads nowhere written as null.
    package var warnings: [ImportIssue] = []
    /// Legacy rows folded into another (tag links repeated once normalised).
    package var merged: [String: Int] = [:]
    /// Columns of the source that memctx has no place for, by table.
    package var columnsNotKept: [String: [String]] = [:]
    /// Optional columns the source lacks, by table.
    package var missingColumns: [String: [String]] = [:]
    /// What redaction replaced, by detector kind.
    package var redacted: [String: Int] = [:]
    /// Sessions memctx made to hold checkpoints whose session is missing.
    package var createdSessions: [ItemID] = []
    /// `PRAGMA foreign_key_check` of the source.
    package var foreignKeyViolations: [String] = []
}

private struct State {
    let mapping: LegacyMapping
    let snapshot: LegacySnapshot
    var plan = LegacyMigrationPlan()

    var tagNames: [Int64: String] = [:]
    var sessionTags: [String: [String]] = [:]
    var patternTags: [String: [String]] = [:]
    /// Tag link rows by owner key, to report the links of owners that are not imported.
    var linkRows: [String: [(String, LegacyRow)]] = [:]
    /// Legacy key → what it became.
    var sessions: [String: Session] = [:]
    var ephemeralSessions: Set<String> = []
    var checkpointIDs: [String: ItemID] = [:]
    var patternIDs: [String: ItemID] = [:]
    var orphanSessions: [String: Session] = [:]

    init(mapping: LegacyMapping, snapshot: LegacySnapshot) {
        self.mapping = mapping
        self.snapshot = snapshot
    }

    func rows(_ table: String) -> [LegacyRow] { snapshot.tables[table]?.rows ?? [] }

    mutating func skip(_ table: String, _ row: LegacyRow, key: String?, _ reason: String) {
        plan.skipped.append(ImportIssue(kind: table, key: key ?? "rowid \(row.rowid)", reason: reason))
    }

    mutating func warn(_ table: String, _ key: String, _ reason: String) {
        plan.warnings.append(ImportIssue(kind: table, key: key, reason: reason))
    }

    mutating func run() {
        plan.foreignKeyViolations = snapshot.foreignKeyViolations
        for (name, table) in snapshot.tables {
            plan.sourceRows[name] = table.rows.count
            let known = LegacySnapshot.knownColumns[name] ?? []
            let extra = table.columns.filter { !known.contains($0) }
            if !extra.isEmpty { plan.columnsNotKept[name] = extra.sorted() }
            let missing = known.filter { !table.columns.contains($0) }
            if !missing.isEmpty { plan.missingColumns[name] = missing.sorted() }
        }
        // Columns read but with no place in memctx.
        for (table, columns) in [
            "privacy_audit": ["user_consent", "gdpr_compliant", "data_retention_days"],
            "context_loads": ["relevance_score"], "tags": ["tag_type", "description"],
            "sessions": ["embedding_id"], "patterns": ["embedding_id"],
        ] {
            let present = columns.filter { snapshot.tables[table]?.columns.contains($0) == true }
            if !present.isEmpty { plan.columnsNotKept[table, default: []] += present }
        }
        for row in rows("db_metadata") {
            skip("db_metadata", row, key: row.text("key"), "not imported: memctx keeps its own schema version and history")
        }
        mapTags()
        let sessionRows = acceptedSessions()
        let checkpointRows = acceptedKeys("checkpoints", column: "checkpoint_id")
        for (key, _) in checkpointRows { checkpointIDs[key] = .legacy("checkpoints", key) }
        let patternRows = acceptedPatterns()
        for (key, _) in patternRows { patternIDs[key] = .legacy("patterns", key) }

        for (key, row) in sessionRows { mapSession(key, row) }
        for (key, row) in checkpointRows { mapCheckpoint(key, row) }
        for (key, row) in patternRows { mapPattern(key, row) }
        for row in rows("context_loads") { mapContextLoad(row) }
        let importedPatterns = Set(plan.batch.patterns.map(\.id))
        for (key, links) in linkRows.sorted(by: { $0.key < $1.key }) {
            let table = String(key.prefix { $0 != "\u{0}" })
            for (owner, row) in links {
                let imported = table == "session_tags" ? sessions[owner] != nil : importedPatterns.contains(.legacy("patterns", owner))
                if !imported {
                    skip(table, row, key: owner, "its \(table == "session_tags" ? "session" : "pattern") '\(owner)' is not imported")
                }
            }
        }
        for row in rows("privacy_audit") { mapAudit(row) }

        for session in orphanSessions.values {
            plan.batch.audits.append(audit(.session, session.id, level: session.privacyLevel, findings: [:]))
        }
        plan.batch.sessions = Self.parentsFirst(
            (Array(orphanSessions.values) + plan.batch.sessions).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) },
            id: \.id, parent: \.parentSessionID)
        plan.createdSessions = orphanSessions.values.map(\.id)
        plan.batch.checkpoints.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        plan.batch.patterns = Self.parentsFirst(
            plan.batch.patterns.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }, id: \.id, parent: \.parentPatternID)
        plan.batch.contextLoads.sort { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        plan.expected["sessions"] = plan.batch.sessions.count - orphanSessions.count
        plan.expected["checkpoints"] = plan.batch.checkpoints.count
        plan.expected["patterns"] = plan.batch.patterns.count
        plan.expected["context_loads"] = plan.batch.contextLoads.count
        // Tags of the legacy rows' items (not of the sessions made for orphan checkpoints).
        let legacySessions = plan.batch.sessions.filter { orphanSessions[$0.project]?.id != $0.id }
        plan.expected["session_tags"] = legacySessions.reduce(0) { $0 + $1.tags.count }
        plan.expected["pattern_tags"] = plan.batch.patterns.reduce(0) { $0 + $1.tags.count }
        plan.expected["tags"] = Set(legacySessions.flatMap(\.tags) + plan.batch.patterns.flatMap(\.tags)).count
        plan.expected["privacy_audit"] = plan.batch.audits.count - (plan.batch.sessions.count + plan.batch.checkpoints.count + plan.batch.patterns.count)
        plan.expected["db_metadata"] = 0
    }

    // MARK: Tags

    mutating func mapTags() {
        for row in rows("tags") {
            guard let id = row.integer("id"), let name = row.text("tag_name") else {
                skip("tags", row, key: row.text("tag_name"), "no id or tag_name")
                continue
            }
            guard let normalised = try? Validate.tags([name]).first else {
                skip("tags", row, key: name, "'\(name)' is not a valid tag (1–64 letters, digits, spaces and - _ . : /)")
                continue
            }
            tagNames[id] = normalised
        }
        for (table, column) in [("session_tags", "session_id"), ("pattern_tags", "pattern_id")] {
            for row in rows(table) {
                guard let owner = row.text(column), let tagID = row.integer("tag_id") else {
                    skip(table, row, key: nil, "no \(column) or tag_id")
                    continue
                }
                guard let name = tagNames[tagID] else {
                    skip(table, row, key: "\(owner)/\(tagID)", "tag \(tagID) is not in the tags table (or not a valid tag)")
                    continue
                }
                if table == "session_tags" { sessionTags[owner, default: []].append(name) } else { patternTags[owner, default: []].append(name) }
                linkRows[table + "\u{0}" + owner, default: []].append((owner, row))
            }
        }
    }

    /// Tags of one item from its links and its `tags_json`, normalised and without repeats.
    mutating func tags(linked: [String], json: String?, table: String, key: String) -> [String] {
        var names = linked
        var fromJSON: [String] = []
        if let json {
            if let array = JSONText.parse(json) as? [Any] {
                fromJSON = array.compactMap { $0 as? String }
            } else if JSONText.parse(json) == nil {
                fromJSON = json.split(separator: ",").map(String.init)
            }
        }
        for raw in fromJSON {
            guard let name = try? Validate.tags([raw]).first else {
                warn(table, key, "tag '\(raw)' in tags_json is not a valid tag: not kept")
                continue
            }
            names.append(name)
        }
        var result: [String] = []
        for name in names where !result.contains(name) { result.append(name) }
        let repeats = linked.count - Set(linked).count
        if repeats > 0 { plan.merged[table == "sessions" ? "session_tags" : "pattern_tags", default: 0] += repeats }
        if result.count > Limits.tags {
            warn(table, key, "has \(result.count) tags; the first \(Limits.tags) are kept")
            result = Array(result.prefix(Limits.tags))
        }
        return result.sorted()
    }

    // MARK: Sessions

    /// Rows with a usable, unique business key, in source order.
    mutating func acceptedKeys(_ table: String, column: String) -> [(String, LegacyRow)] {
        var seen: [String: Int64] = [:]
        var accepted: [(String, LegacyRow)] = []
        for row in rows(table) {
            guard let key = row.text(column)?.trimmingWhitespace(), !key.isEmpty else {
                skip(table, row, key: nil, "no \(column)")
                continue
            }
            if let first = seen[key] {
                skip(table, row, key: key, "duplicate \(column) (first at rowid \(first))")
                continue
            }
            seen[key] = row.rowid
            accepted.append((key, row))
        }
        return accepted
    }

    mutating func acceptedSessions() -> [(String, LegacyRow)] {
        var accepted: [(String, LegacyRow)] = []
        for (key, row) in acceptedKeys("sessions", column: "session_id") {
            let levelText = row.text("privacy_level") ?? "team"
            guard let level = PrivacyLevel(rawValue: levelText.lowercased()) else {
                skip("sessions", row, key: key, "privacy_level '\(levelText)' is not public, team, private or ephemeral")
                continue
            }
            if level == .ephemeral {
                ephemeralSessions.insert(key)
                skip("sessions", row, key: key, "privacy_level ephemeral: never stored")
                continue
            }
            let statusText = row.text("status") ?? "active"
            guard SessionStatus(rawValue: statusText.lowercased()) != nil else {
                skip("sessions", row, key: key, "status '\(statusText)' is not active, archived or deleted")
                continue
            }
            guard time(row, ["timestamp", "created_at"], table: "sessions", key: key) != nil else {
                skip("sessions", row, key: key, "timestamp '\(row.text("timestamp") ?? "")' is not a time")
                continue
            }
            // Known now, so references between sessions resolve whatever their order.
            sessions[key] = Session(id: .legacy("sessions", key), project: mapping.defaultProject, title: key, privacyLevel: level, at: mapping.now)
            accepted.append((key, row))
        }
        return accepted
    }

    /// The first of `columns` that holds a time; nil if none does. `warn`: say when an earlier column held
    /// something else.
    mutating func time(_ row: LegacyRow, _ columns: [String], table: String, key: String, warn shouldWarn: Bool = false) -> Date? {
        var unreadable: [String] = []
        for column in columns {
            guard let text = row.text(column) else { continue }
            if let date = Timestamp.parse(text) {
                if shouldWarn, let first = unreadable.first {
                    warn(table, key, "\(first) is not a time: \(column) is used")
                }
                return date
            }
            unreadable.append("\(column) '\(text)'")
        }
        return nil
    }

    mutating func optionalTime(_ row: LegacyRow, _ column: String, table: String, key: String) -> Date? {
        guard let text = row.text(column) else { return nil }
        guard let date = Timestamp.parse(text) else {
            warn(table, key, "\(column) '\(text)' is not a time: written as null")
            return nil
        }
        return date
    }

    mutating func count(_ row: LegacyRow, _ column: String, table: String, key: String) -> Int? {
        guard row.text(column) != nil else { return nil }
        guard let value = row.integer(column), value >= 0, value <= Int64(Int32.max) else {
            warn(table, key, "\(column) '\(row.text(column) ?? "")' is not a count: written as null")
            return nil
        }
        return Int(value)
    }

    mutating func json(_ row: LegacyRow, _ column: String, table: String, key: String) -> String? {
        guard let text = row.text(column) else { return nil }
        var repaired = false
        let result = JSONText.repaired(text, repaired: &repaired)
        if repaired { warn(table, key, "\(column) is not valid JSON: kept as a JSON string") }
        return result
    }

    mutating func redact(_ text: String?, level: PrivacyLevel, into findings: inout [String: Int]) -> String? {
        guard let text else { return nil }
        let result = mapping.redactor.redact(text, level: level)
        for (kind, count) in result.findings {
            findings[kind, default: 0] += count
            plan.redacted[kind, default: 0] += count
        }
        return result.text
    }

    /// A JSON object text with `extra` added under `legacy`; a non-object becomes `{"value": …}`.
    func metadata(_ text: String?, extra: [String: Any]) -> String? {
        var object: [String: Any] = [:]
        if let text {
            let value = JSONText.parse(text)
            if let dictionary = value as? [String: Any] { object = dictionary } else { object["value"] = value ?? text }
        }
        if !extra.isEmpty { object["legacy"] = extra }
        return object.isEmpty ? nil : JSONText.string(object)
    }

    mutating func mapSession(_ key: String, _ row: LegacyRow) {
        guard var session = sessions[key] else { return }
        let level = session.privacyLevel
        session.createdAt = time(row, ["timestamp", "created_at"], table: "sessions", key: key, warn: true) ?? mapping.now
        session.updatedAt = optionalTime(row, "updated_at", table: "sessions", key: key) ?? session.createdAt
        session.accessedAt = optionalTime(row, "accessed_at", table: "sessions", key: key)
        session.archivedAt = optionalTime(row, "archived_at", table: "sessions", key: key)
        session.status = SessionStatus(rawValue: (row.text("status") ?? "active").lowercased()) ?? .active
        session.sessionType = row.text("session_type")
        let metadataText = json(row, "metadata_json", table: "sessions", key: key)
        if let object = metadataText.flatMap(JSONText.parse) as? [String: Any], let project = object["project"] as? String,
            let valid = try? Validate.project(project)
        {
            session.project = valid
        }
        var findings: [String: Int] = [:]
        var title = row.text("title") ?? row.text("description").map { String($0.prefix(120)) } ?? "Session \(key)"
        title = title.trimmingWhitespace().isEmpty ? "Session \(key)" : title
        if title.count > Limits.title {
            warn("sessions", key, "title is longer than \(Limits.title) characters: cut, the whole text kept in description")
            if row.text("description") == nil { session.description = title }
            title = String(title.prefix(Limits.title))
        }
        session.title = redact(title, level: level, into: &findings) ?? title
        session.description = redact(row.text("description") ?? session.description, level: level, into: &findings)
        session.contextSummary = redact(row.text("context_summary"), level: level, into: &findings)
        session.conversationJSON = redact(json(row, "conversation_json", table: "sessions", key: key), level: level, into: &findings)
        session.fileChangesJSON = redact(json(row, "file_changes_json", table: "sessions", key: key), level: level, into: &findings)
        session.decisions = decisions(row.text("decisions_json"), key: key).map { redact($0, level: level, into: &findings) ?? $0 }
        var extra: [String: Any] = ["sessionId": key]
        if let related = row.text("related_sessions_json") {
            let value = JSONText.parse(related)
            if let keys = value as? [Any] {
                extra["relatedSessions"] = keys.map { item -> Any in
                    guard let text = item as? String, let related = sessions[text] else { return item }
                    return related.id.description
                }
            } else {
                extra["relatedSessions"] = value ?? related
            }
        }
        if let gdpr = row.bool("gdpr_compliant") { extra["gdprCompliant"] = gdpr }
        session.metadataJSON = redact(metadata(metadataText, extra: extra), level: level, into: &findings)
        if let parent = row.text("parent_session_id") {
            session.parentSessionID = sessions[parent]?.id
            if session.parentSessionID == nil { warn("sessions", key, "parent_session_id '\(parent)' is not imported: written as null") }
        }
        if let source = row.text("source_checkpoint_id") {
            session.sourceCheckpointID = checkpointIDs[source]
            if session.sourceCheckpointID == nil { warn("sessions", key, "source_checkpoint_id '\(source)' is not imported: written as null") }
        }
        session.durationMinutes = count(row, "duration_minutes", table: "sessions", key: key)
        session.messagesCount = count(row, "messages_count", table: "sessions", key: key)
        session.filesChanged = count(row, "files_changed", table: "sessions", key: key)
        session.tags = tags(linked: sessionTags[key] ?? [], json: row.text("tags_json"), table: "sessions", key: key)
        session.piiDetected = (row.bool("pii_detected") ?? false) || !findings.isEmpty
        session.piiRedacted = (row.bool("pii_redacted") ?? false) || !findings.isEmpty
        sessions[key] = session
        plan.batch.sessions.append(session)
        plan.batch.audits.append(audit(.session, session.id, level: level, findings: findings))
    }

    func audit(_ kind: ItemKind, _ id: ItemID, level: PrivacyLevel, findings: [String: Int]) -> PrivacyAudit {
        PrivacyAudit(itemKind: kind, itemID: id, level: level, detected: findings, redacted: findings, createdAt: mapping.now)
    }

    /// `decisions_json`: strings kept; objects give their `decision`/`text`/`title`/`summary`, else their JSON.
    mutating func decisions(_ text: String?, key: String) -> [String] {
        guard let text else { return [] }
        guard let value = JSONText.parse(text) else {
            warn("sessions", key, "decisions_json is not valid JSON: kept as one decision")
            return [text]
        }
        let items = value as? [Any] ?? [value]
        return items.compactMap { item in
            if let string = item as? String { return string }
            if let object = item as? [String: Any] {
                for field in ["decision", "text", "title", "summary"] {
                    if let string = object[field] as? String { return string }
                }
            }
            if item is NSNull { return nil }
            return JSONText.string(item)
        }
    }

    // MARK: Checkpoints

    mutating func orphanSession(project: String, at date: Date) -> Session {
        if var session = orphanSessions[project] {
            if date < session.createdAt {
                session.createdAt = date
                orphanSessions[project] = session
            }
            return session
        }
        var session = Session(
            id: .legacy("sessions", "memctx:checkpoints-without-session:\(project)"), project: project,
            title: "Legacy checkpoints without a session", privacyLevel: .team, at: date)
        session.description = "Made by memctx migrate to hold legacy checkpoints whose session is missing."
        session.tags = ["legacy-import"]
        orphanSessions[project] = session
        return session
    }

    mutating func mapCheckpoint(_ key: String, _ row: LegacyRow) {
        let sessionKey = row.text("session_id")
        if let sessionKey, ephemeralSessions.contains(sessionKey) {
            skip("checkpoints", row, key: key, "its session '\(sessionKey)' is ephemeral: never stored")
            return
        }
        guard let createdAt = time(row, ["timestamp", "created_at"], table: "checkpoints", key: key, warn: true) else {
            skip("checkpoints", row, key: key, "timestamp '\(row.text("timestamp") ?? "")' is not a time")
            return
        }
        let session: Session
        if let sessionKey, let found = sessions[sessionKey] {
            session = found
        } else {
            session = orphanSession(project: mapping.defaultProject, at: createdAt)
            let why = sessionKey.map { "session_id '\($0)' is not imported" } ?? "no session_id"
            warn("checkpoints", key, "\(why): attached to the session '\(session.title)'")
        }
        let level = session.privacyLevel
        var findings: [String: Int] = [:]
        let description = row.text("description") ?? row.text("checkpoint_path") ?? "Checkpoint \(key)"
        var checkpoint = Checkpoint(
            id: .legacy("checkpoints", key), sessionID: session.id, project: session.project,
            description: redact(description, level: level, into: &findings) ?? description, at: createdAt)
        checkpoint.privacyLevel = level
        checkpoint.checkpointPath = row.text("checkpoint_path")
        var extra: [String: Any] = ["checkpointId": key]
        if let commit = row.text("git_commit_hash")?.trimmingWhitespace() {
            if (4...64).contains(commit.count), commit.allSatisfy(\.isHexDigit) {
                checkpoint.gitCommit = commit.lowercased()
            } else {
                warn("checkpoints", key, "git_commit_hash '\(commit)' is not a commit hash: kept in metadata.legacy.gitCommitHash")
                extra["gitCommitHash"] = commit
            }
        }
        checkpoint.metadataJSON = redact(metadata(nil, extra: extra), level: level, into: &findings)
        plan.batch.checkpoints.append(checkpoint)
        plan.batch.audits.append(audit(.checkpoint, checkpoint.id, level: level, findings: findings))
    }

    // MARK: Patterns

    mutating func acceptedPatterns() -> [(String, LegacyRow)] {
        var accepted: [(String, LegacyRow)] = []
        for (key, row) in acceptedKeys("patterns", column: "pattern_id") {
            let typeText = row.text("pattern_type") ?? ""
            guard PatternType(rawValue: typeText.lowercased()) != nil else {
                skip("patterns", row, key: key, "pattern_type '\(typeText)' is not one of \(PatternType.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            guard let name = row.text("name"), !name.trimmingWhitespace().isEmpty else {
                skip("patterns", row, key: key, "no name")
                continue
            }
            var outOfRange: String?
            for column in ["confidence", "quality_score", "success_rate"] where row.text(column) != nil {
                guard let value = row.real(column), (0...1).contains(value) else {
                    outOfRange = "\(column) '\(row.text(column) ?? "")' is not between 0 and 1"
                    break
                }
            }
            if let outOfRange {
                skip("patterns", row, key: key, outOfRange)
                continue
            }
            accepted.append((key, row))
        }
        return accepted
    }

    mutating func mapPattern(_ key: String, _ row: LegacyRow) {
        let source = row.text("source_session_id").flatMap { sessions[$0] }
        let project = source?.project ?? mapping.defaultProject
        let level = source?.privacyLevel ?? .team
        let createdAt = time(row, ["created_at"], table: "patterns", key: key) ?? {
            warn("patterns", key, "created_at '\(row.text("created_at") ?? "")' is not a time: the migration's time is used")
            return mapping.now
        }()
        var findings: [String: Int] = [:]
        var name = row.text("name") ?? key
        if name.count > Limits.name {
            warn("patterns", key, "name is longer than \(Limits.name) characters: cut")
            name = String(name.prefix(Limits.name))
        }
        var pattern = Pattern(
            id: .legacy("patterns", key), project: project,
            patternType: PatternType(rawValue: (row.text("pattern_type") ?? "").lowercased()) ?? .workflow,
            name: redact(name, level: level, into: &findings) ?? name, at: createdAt)
        pattern.privacyLevel = level
        pattern.description = redact(row.text("description"), level: level, into: &findings)
        pattern.template = redact(row.text("template"), level: level, into: &findings)
        var patternJSON = json(row, "pattern_json", table: "patterns", key: key)
        if let related = row.text("related_patterns_json") {
            let keys = (JSONText.parse(related) as? [Any]) ?? [related]
            let mapped = keys.map { item -> Any in
                guard let text = item as? String, let id = patternIDs[text] else { return item }
                return id.description
            }
            var object = patternJSON.flatMap(JSONText.parse) as? [String: Any] ?? (patternJSON.map { ["value": JSONText.parse($0) ?? $0] } ?? [:])
            object["legacyRelatedPatterns"] = mapped
            patternJSON = JSONText.string(object)
        }
        pattern.patternJSON = redact(patternJSON, level: level, into: &findings)
        pattern.confidence = row.real("confidence") ?? 0.5
        pattern.qualityScore = row.real("quality_score")
        pattern.successRate = row.real("success_rate")
        pattern.frequency = atLeast(1, row, "frequency", default: 1, key: key)
        pattern.reuseCount = atLeast(0, row, "reuse_count", default: 0, key: key)
        pattern.version = atLeast(1, row, "version", default: 1, key: key)
        pattern.isLatest = row.bool("is_latest") ?? true
        pattern.deprecated = row.bool("deprecated") ?? false
        pattern.sourceSessionID = source?.id
        if source == nil, let sourceKey = row.text("source_session_id") {
            warn("patterns", key, "source_session_id '\(sourceKey)' is not imported: written as null")
        }
        if let parent = row.text("parent_pattern_id") {
            pattern.parentPatternID = patternIDs[parent]
            if pattern.parentPatternID == nil { warn("patterns", key, "parent_pattern_id '\(parent)' is not imported: written as null") }
        }
        pattern.updatedAt = optionalTime(row, "updated_at", table: "patterns", key: key) ?? createdAt
        pattern.lastUsedAt = optionalTime(row, "last_used_at", table: "patterns", key: key)
        pattern.tags = tags(linked: patternTags[key] ?? [], json: nil, table: "patterns", key: key)
        plan.batch.patterns.append(pattern)
        plan.batch.audits.append(audit(.pattern, pattern.id, level: level, findings: findings))
    }

    mutating func atLeast(_ minimum: Int, _ row: LegacyRow, _ column: String, default value: Int, key: String) -> Int {
        guard row.text(column) != nil else { return value }
        guard let found = row.integer(column), found >= Int64(minimum), found <= Int64(Int32.max) else {
            warn("patterns", key, "\(column) '\(row.text(column) ?? "")' is not a whole number ≥ \(minimum): \(value) is written")
            return value
        }
        return Int(found)
    }

    // MARK: Context loads and audits

    mutating func mapContextLoad(_ row: LegacyRow) {
        let key = row.text("id") ?? "rowid-\(row.rowid)"
        let session = row.text("session_id").flatMap { sessions[$0] }
        if let sessionKey = row.text("session_id"), ephemeralSessions.contains(sessionKey) {
            skip("context_loads", row, key: key, "its session '\(sessionKey)' is ephemeral: never stored")
            return
        }
        if session == nil, let sessionKey = row.text("session_id") {
            warn("context_loads", key, "session_id '\(sessionKey)' is not imported: written as null")
        }
        var checkpoints: [ItemID] = []
        var patterns: [ItemID] = []
        var decisions = 0
        if let text = row.text("loaded_items_json") {
            let items = (JSONText.parse(text) as? [Any]) ?? []
            if JSONText.parse(text) == nil { warn("context_loads", key, "loaded_items_json is not valid JSON: no items kept") }
            for item in items {
                var type: String?
                var itemKey: String?
                if let text = item as? String {
                    itemKey = text
                } else if let object = item as? [String: Any] {
                    type = (object["type"] ?? object["kind"]) as? String
                    itemKey = (object["pattern_id"] ?? object["checkpoint_id"] ?? object["id"]).map { "\($0)" }
                    if object["pattern_id"] != nil { type = "pattern" }
                    if object["checkpoint_id"] != nil { type = "checkpoint" }
                }
                if type == "decision" {
                    decisions += 1
                    continue
                }
                guard let itemKey else { continue }
                if type != "checkpoint", let id = patternIDs[itemKey] {
                    patterns.append(id)
                } else if type != "pattern", let id = checkpointIDs[itemKey] {
                    checkpoints.append(id)
                }
            }
        }
        var tokens = Int(row.integer("token_count") ?? 0)
        if tokens < 0 || tokens > Int(Int32.max) {
            warn("context_loads", key, "token_count '\(tokens)' is not a count: 0 is written")
            tokens = 0
        }
        let createdAt = optionalTime(row, "loaded_at", table: "context_loads", key: key) ?? mapping.now
        var findings: [String: Int] = [:]
        let query = redact(row.text("query") ?? "", level: session?.privacyLevel ?? .team, into: &findings) ?? ""
        plan.batch.contextLoads.append(
            ContextLoad(
                id: .legacy("context_loads", key), project: session?.project ?? mapping.defaultProject, query: query,
                sessionID: session?.id, checkpointIDs: checkpoints, patternIDs: patterns, decisionCount: decisions,
                tokensUsed: tokens, tokenBudget: max(1, tokens), createdAt: createdAt))
    }

    mutating func mapAudit(_ row: LegacyRow) {
        let key = row.text("id") ?? "rowid-\(row.rowid)"
        guard let sessionKey = row.text("session_id"), let session = sessions[sessionKey] else {
            skip("privacy_audit", row, key: key, "its session '\(row.text("session_id") ?? "")' is not imported")
            return
        }
        let levelText = row.text("privacy_level") ?? session.privacyLevel.rawValue
        guard let level = PrivacyLevel(rawValue: levelText.lowercased()), level != .ephemeral else {
            skip("privacy_audit", row, key: key, "privacy_level '\(levelText)' is not public, team or private")
            return
        }
        var detected: [String: Int] = [:]
        if let text = row.text("redaction_summary_json") {
            if let object = JSONText.parse(text) as? [String: Any] {
                for (kind, value) in object {
                    if let number = value as? NSNumber, !(value is Bool) {
                        detected[kind] = number.intValue
                    } else if let array = value as? [Any] {
                        detected[kind] = array.count
                    } else if value as? Bool == true {
                        detected[kind] = 1
                    }
                }
            } else {
                warn("privacy_audit", key, "redaction_summary_json is not a JSON object: its counts are not kept")
            }
        }
        if detected.isEmpty, row.bool("pii_detected") == true { detected["pii"] = 1 }
        let redacted = row.bool("pii_redacted") == true ? detected : [:]
        let createdAt = optionalTime(row, "audit_timestamp", table: "privacy_audit", key: key) ?? mapping.now
        plan.batch.audits.append(
            PrivacyAudit(itemKind: .session, itemID: session.id, level: level, detected: detected, redacted: redacted, createdAt: createdAt))
    }

    /// `items` in their order, moved so each one's parent comes before it.
    static func parentsFirst<Item>(_ items: [Item], id: KeyPath<Item, ItemID>, parent: KeyPath<Item, ItemID?>) -> [Item]
    where Item: Sendable {
        let byID = Dictionary(items.map { ($0[keyPath: id], $0) }, uniquingKeysWith: { first, _ in first })
        var placed: Set<ItemID> = []
        var result: [Item] = []
        func place(_ item: Item, depth: Int) {
            let itemID = item[keyPath: id]
            guard !placed.contains(itemID) else { return }
            placed.insert(itemID)
            if depth < 1000, let parentID = item[keyPath: parent], let parentItem = byID[parentID] { place(parentItem, depth: depth + 1) }
            result.append(item)
        }
        for item in items { place(item, depth: 0) }
        return result
    }
}
