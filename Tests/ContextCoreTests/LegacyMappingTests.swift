import ContextCore
import Foundation
import Testing

/// The mapping of legacy MEMORY-CONTEXT rows onto memctx records (docs/migration.md), on rows built here.
@Suite("Legacy mapping")
struct LegacyMappingTests {
    private static let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func table(_ name: String, _ rows: [[String: LegacyValue]]) -> LegacyTable {
        let columns = Array(Set(rows.flatMap(\.keys))).sorted()
        return LegacyTable(
            name: name, columns: columns,
            rows: rows.enumerated().map { LegacyRow(rowid: Int64($0.offset + 1), values: $0.element) })
    }

    private func plan(_ tables: [LegacyTable]) -> LegacyMigrationPlan {
        let snapshot = LegacySnapshot(tables: Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) }))
        return LegacyMapping(defaultProject: "legacy", now: Self.now).plan(snapshot)
    }

    private var sessions: LegacyTable {
        table("sessions", [
            [
                "session_id": .text("s-1"), "timestamp": .text("2025-03-01 09:00:00"), "privacy_level": .text("team"),
                "title": .text("Login work"), "description": .text("key AKIAIOSFODNN7EXAMPLE in the log"),
                "decisions_json": .text(#"["use JWT", {"decision": "bcrypt"}, 3]"#), "tags_json": .text(#"["Auth", "auth", "bad tag!"]"#),
                "metadata_json": .text(#"{"project": "webapp"}"#), "conversation_json": .text("{not json"),
                "pii_detected": .integer(0), "related_sessions_json": .text(#"["s-2"]"#), "duration_minutes": .integer(-5),
            ],
            ["session_id": .text("s-2"), "timestamp": .text("2025-03-02T10:00:00Z"), "privacy_level": .text("private"), "parent_session_id": .text("s-1")],
            ["session_id": .text("s-1"), "timestamp": .text("2025-03-03 10:00:00"), "privacy_level": .text("team")],
            ["session_id": .text("s-e"), "timestamp": .text("2025-03-03 10:00:00"), "privacy_level": .text("ephemeral")],
            ["session_id": .text("s-x"), "timestamp": .text("2025-03-03 10:00:00"), "privacy_level": .text("secret")],
            ["session_id": .text("s-t"), "timestamp": .text("soon"), "privacy_level": .text("team")],
            ["session_id": .null, "timestamp": .text("2025-03-03 10:00:00"), "privacy_level": .text("team")],
        ])
    }

    @Test func sessionsAreMappedWithStableIDsAndRepairs() throws {
        let plan = plan([sessions])
        #expect(plan.batch.sessions.count == 2)
        let first = try #require(plan.batch.sessions.first { $0.id == .legacy("sessions", "s-1") })
        #expect(first.project == "webapp")
        #expect(first.createdAt == Timestamp.parse("2025-03-01T09:00:00Z"))
        #expect(first.decisions == ["use JWT", "bcrypt", "3"])
        #expect(first.tags == ["auth"])
        #expect(first.description?.contains("AKIAIOSFODNN7EXAMPLE") == false, "the secret was kept")
        #expect(first.piiDetected && first.piiRedacted)
        #expect(first.conversationJSON == #""{not json""#)
        #expect(first.durationMinutes == nil)
        let metadata = try #require(first.metadataJSON.flatMap { JSONText.parse($0) } as? [String: Any])
        let legacy = try #require(metadata["legacy"] as? [String: Any])
        #expect(legacy["sessionId"] as? String == "s-1")
        #expect(legacy["relatedSessions"] as? [String] == [ItemID.legacy("sessions", "s-2").description])
        let second = try #require(plan.batch.sessions.first { $0.id == .legacy("sessions", "s-2") })
        #expect(second.parentSessionID == first.id)
        #expect(second.privacyLevel == .private)
        // The parent comes first whatever the source order.
        #expect(plan.batch.sessions.firstIndex { $0.id == first.id }! < plan.batch.sessions.firstIndex { $0.id == second.id }!)

        let reasons = Dictionary(grouping: plan.skipped, by: \.key).mapValues { $0.map(\.reason).joined() }
        #expect(reasons["s-1"]?.contains("duplicate session_id") == true)
        #expect(reasons["s-e"]?.contains("ephemeral") == true)
        #expect(reasons["s-x"]?.contains("'secret'") == true)
        #expect(reasons["s-t"]?.contains("not a time") == true)
        #expect(reasons["rowid 7"]?.contains("no session_id") == true)
        #expect(plan.warnings.contains { $0.key == "s-1" && $0.reason.contains("conversation_json is not valid JSON") })
        #expect(plan.warnings.contains { $0.key == "s-1" && $0.reason.contains("bad tag!") })
        #expect(plan.warnings.contains { $0.key == "s-1" && $0.reason.contains("duration_minutes") })
        #expect(plan.redacted["aws-access-key"] == 1)
        // One audit row per item, with what was found.
        let audit = try #require(plan.batch.audits.first { $0.itemID == first.id })
        #expect(audit.detected["aws-access-key"] == 1)
        #expect(plan.expected["sessions"] == 2 && plan.sourceRows["sessions"] == 7)
    }

    @Test func checkpointsWithoutTheirSessionGoToOneMadeForThem() throws {
        let checkpoints = table("checkpoints", [
            ["checkpoint_id": .text("c-1"), "timestamp": .text("2025-03-01 09:30:00"), "session_id": .text("s-1"), "description": .text("form"), "git_commit_hash": .text("ABCDEF12")],
            ["checkpoint_id": .text("c-2"), "timestamp": .text("2025-03-01 09:40:00"), "session_id": .text("gone"), "checkpoint_path": .text("cp/c-2.md")],
            ["checkpoint_id": .text("c-3"), "timestamp": .text("2025-03-01 09:50:00"), "git_commit_hash": .text("not a hash")],
            ["checkpoint_id": .text("c-4"), "timestamp": .text("2025-03-01 09:50:00"), "session_id": .text("s-e")],
        ])
        let plan = plan([sessions, checkpoints])
        #expect(plan.batch.checkpoints.count == 3)
        let c1 = try #require(plan.batch.checkpoints.first { $0.id == .legacy("checkpoints", "c-1") })
        #expect(c1.sessionID == .legacy("sessions", "s-1") && c1.project == "webapp" && c1.gitCommit == "abcdef12")
        let c2 = try #require(plan.batch.checkpoints.first { $0.id == .legacy("checkpoints", "c-2") })
        #expect(c2.description == "cp/c-2.md")
        #expect(plan.createdSessions == [c2.sessionID])
        #expect(plan.batch.sessions.contains { $0.id == c2.sessionID && $0.title == "Legacy checkpoints without a session" })
        let c3 = try #require(plan.batch.checkpoints.first { $0.id == .legacy("checkpoints", "c-3") })
        #expect(c3.gitCommit == nil && c3.metadataJSON?.contains("not a hash") == true)
        #expect(plan.skipped.contains { $0.key == "c-4" && $0.reason.contains("ephemeral") })
    }

    @Test func patternsKeepTheirNumbersAndLoseWhatBreaksABound() throws {
        let patterns = table("patterns", [
            ["pattern_id": .text("p-2"), "pattern_type": .text("code"), "name": .text("child"), "template": .text("t"), "pattern_json": .text("{}"), "parent_pattern_id": .text("p-1"), "created_at": .text("2025-01-02 00:00:00"), "frequency": .integer(0)],
            ["pattern_id": .text("p-1"), "pattern_type": .text("workflow"), "name": .text("parent"), "template": .text("t"), "pattern_json": .text(#"{"a":1}"#), "confidence": .real(0.9), "frequency": .integer(7), "reuse_count": .integer(3), "deprecated": .integer(1), "source_session_id": .text("s-2"), "related_patterns_json": .text(#"["p-2"]"#), "created_at": .text("2025-01-03 00:00:00")],
            ["pattern_id": .text("p-3"), "pattern_type": .text("workflow"), "name": .text("sure"), "template": .text("t"), "pattern_json": .text("{}"), "confidence": .real(1.7)],
            ["pattern_id": .text("p-4"), "pattern_type": .text("misc"), "name": .text("odd"), "template": .text("t"), "pattern_json": .text("{}")],
            ["pattern_id": .text("p-5"), "pattern_type": .text("code"), "name": .null, "template": .text("t"), "pattern_json": .text("{}")],
        ])
        let tags = table("tags", [["id": .integer(1), "tag_name": .text("Release")], ["id": .integer(2), "tag_name": .text("!!")]])
        let links = table("pattern_tags", [
            ["pattern_id": .text("p-1"), "tag_id": .integer(1)], ["pattern_id": .text("p-1"), "tag_id": .integer(2)],
            ["pattern_id": .text("p-3"), "tag_id": .integer(1)],
        ])
        let plan = plan([sessions, patterns, tags, links])
        #expect(plan.batch.patterns.map(\.name) == ["parent", "child"], "parents first")
        let parent = plan.batch.patterns[0]
        #expect(parent.frequency == 7 && parent.reuseCount == 3 && parent.deprecated && parent.confidence == 0.9)
        #expect(parent.sourceSessionID == .legacy("sessions", "s-2") && parent.privacyLevel == .private)
        #expect(parent.tags == ["release"])
        #expect(parent.patternJSON?.contains(ItemID.legacy("patterns", "p-2").description) == true)
        let child = plan.batch.patterns[1]
        #expect(child.parentPatternID == parent.id && child.frequency == 1)
        #expect(plan.warnings.contains { $0.key == "p-2" && $0.reason.contains("frequency") })
        let skipped = Set(plan.skipped.map(\.key))
        #expect(skipped.isSuperset(of: ["p-3", "p-4", "p-5", "!!"]))
        #expect(plan.skipped.contains { $0.kind == "pattern_tags" && $0.key == "p-3" }, "a link of a pattern not imported is reported")
    }

    @Test func contextLoadsAndAuditsFollowTheirSessions() throws {
        let patterns = table("patterns", [["pattern_id": .text("p-1"), "pattern_type": .text("workflow"), "name": .text("n"), "template": .text("t"), "pattern_json": .text("{}")]])
        let loads = table("context_loads", [
            ["id": .integer(1), "session_id": .text("s-1"), "query": .text("login"), "loaded_items_json": .text(#"["p-1", {"type": "decision"}, {"pattern_id": "p-1"}]"#), "token_count": .integer(300), "loaded_at": .text("2025-03-01 10:00:00")],
            ["id": .integer(2), "session_id": .text("s-e"), "query": .text("secret"), "token_count": .integer(1)],
        ])
        let audits = table("privacy_audit", [
            ["id": .integer(1), "session_id": .text("s-1"), "audit_timestamp": .text("2025-03-01 09:00:00"), "privacy_level": .text("team"), "pii_detected": .integer(1), "pii_redacted": .integer(1), "redaction_summary_json": .text(#"{"email": 2, "phones": ["a", "b", "c"]}"#)],
            ["id": .integer(2), "session_id": .text("nobody"), "audit_timestamp": .text("2025-03-01 09:00:00"), "privacy_level": .text("team")],
        ])
        let plan = plan([sessions, patterns, loads, audits])
        let load = try #require(plan.batch.contextLoads.first)
        #expect(plan.batch.contextLoads.count == 1)
        #expect(load.patternIDs == [.legacy("patterns", "p-1"), .legacy("patterns", "p-1")] && load.decisionCount == 1)
        #expect(load.tokensUsed == 300 && load.sessionID == .legacy("sessions", "s-1") && load.project == "webapp")
        let legacyAudit = try #require(plan.batch.audits.first { $0.detected["email"] == 2 })
        #expect(legacyAudit.detected["phones"] == 3 && legacyAudit.redacted == legacyAudit.detected)
        #expect(plan.skipped.contains { $0.kind == "privacy_audit" && $0.key == "2" })
        #expect(plan.expected["privacy_audit"] == 1)
    }
}
