package import ContextCore
package import Foundation

/// Records for the export/import tests of every store: every field set somewhere, references between
/// sessions, checkpoints, patterns and context loads, audit rows, tags, JSON text.
package enum TransferSamples {
    package static let start = Date(timeIntervalSince1970: 1_790_000_000)

    package static func id(_ key: String) -> ItemID { .legacy("samples", key) }

    package static func batch() -> RecordBatch {
        var batch = RecordBatch()
        var parent = Session(id: id("s1"), project: "alpha", title: "Login form", privacyLevel: .team, at: start)
        parent.description = "Form with e-mail validation"
        parent.contextSummary = "validation done; tests next"
        parent.sessionType = "coding"
        parent.conversationJSON = #"[{"role":"user","content":"add a login form"}]"#
        parent.decisions = ["use JWT", "bcrypt for hashes"]
        parent.fileChangesJSON = #"{"src/Login.swift":42}"#
        parent.metadataJSON = #"{"agent":"claude","nested":{"b":2,"a":1}}"#
        parent.durationMinutes = 45
        parent.messagesCount = 12
        parent.filesChanged = 3
        parent.piiDetected = true
        parent.piiRedacted = true
        parent.tags = ["auth", "web"]
        parent.updatedAt = start.addingTimeInterval(600)
        parent.accessedAt = start.addingTimeInterval(700)
        var child = Session(id: id("s2"), project: "alpha", title: "Login tests", privacyLevel: .private, at: start.addingTimeInterval(60))
        child.parentSessionID = parent.id
        child.status = .archived
        child.archivedAt = start.addingTimeInterval(900)
        child.sourceCheckpointID = id("c1")
        let other = Session(id: id("s3"), project: "beta", title: "Other project", privacyLevel: .public, at: start.addingTimeInterval(120))
        batch.sessions = [parent, child, other]

        var first = Checkpoint(id: id("c1"), sessionID: parent.id, project: "alpha", description: "Form renders", at: start.addingTimeInterval(30))
        first.content = "## Done\n- form\n- validation"
        first.checkpointPath = ".checkpoints/c1.md"
        first.gitCommit = "0123abcd"
        first.gitBranch = "feature/login"
        first.tags = ["ui"]
        first.metadataJSON = #"{"step":1}"#
        var second = Checkpoint(id: id("c2"), sessionID: child.id, project: "alpha", description: "Tests pass", at: start.addingTimeInterval(90))
        second.privacyLevel = .private
        batch.checkpoints = [first, second]

        var base = Pattern(id: id("p1"), project: "alpha", patternType: .workflow, name: "Release checklist", at: start.addingTimeInterval(10))
        base.description = "What to do before a release"
        base.template = "tag, build, publish notes"
        base.patternJSON = #"{"steps":["tag","build"]}"#
        base.confidence = 0.8
        base.qualityScore = 0.7
        base.frequency = 4
        base.reuseCount = 9
        base.successRate = 0.95
        base.sourceSessionID = parent.id
        base.tags = ["release"]
        base.updatedAt = start.addingTimeInterval(20)
        base.lastUsedAt = start.addingTimeInterval(30)
        var derived = Pattern(id: id("p2"), project: "alpha", patternType: .decision, name: "Release checklist v2", at: start.addingTimeInterval(40))
        derived.parentPatternID = base.id
        derived.version = 2
        derived.isLatest = true
        derived.deprecated = false
        base.isLatest = false
        base.deprecated = true
        batch.patterns = [base, derived]

        batch.contextLoads = [
            ContextLoad(
                id: id("l1"), project: "alpha", query: "release steps", sessionID: parent.id, checkpointIDs: [first.id],
                patternIDs: [base.id], decisionCount: 1, tokensUsed: 321, tokenBudget: 2000, createdAt: start.addingTimeInterval(50))
        ]
        batch.audits = [
            PrivacyAudit(itemKind: .session, itemID: parent.id, level: .team, detected: ["email": 2], redacted: ["email": 2], createdAt: start),
            PrivacyAudit(itemKind: .checkpoint, itemID: first.id, level: .team, detected: [:], redacted: [:], createdAt: start),
            PrivacyAudit(itemKind: .pattern, itemID: base.id, level: .team, detected: ["aws-access-key": 1], redacted: ["aws-access-key": 1], createdAt: start),
        ]
        return batch
    }

    /// Every record `transfer` holds, read in pages of `pageSize`.
    package static func exportAll(_ transfer: any RecordTransfer, scope: ProjectScope = .all, pageSize: Int = 2) async throws -> RecordBatch {
        var result = RecordBatch()
        for kind in RecordKind.allCases {
            var cursor: String?
            repeat {
                let page = try await transfer.exportRecords(kind, scope: scope, after: cursor, limit: pageSize)
                result.append(page.batch)
                cursor = page.next
            } while cursor != nil
        }
        return result
    }
}
