package import ContextCore

/// What `saveCheckpoint` does with the session it names, checked by the store inside its write (the same
/// scenario for every store): a session is joined whatever the default project, refused for another named
/// project or when deleted, and its audit row is written only when the save creates it.
///
/// `service` must use the default project "alpha" over an empty store; `auditRows` counts the store's
/// privacy audit rows. Throws `ScenarioFailure` naming the first step that went wrong.
package enum SessionRuleScenario {
    package static func run(_ service: ContextService, auditRows: () async throws -> Int) async throws {
        let sessionID = ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f77")!
        var draft = CheckpointDraft(description: "Started in beta")
        draft.sessionID = sessionID
        draft.project = "beta"
        let created = try await service.saveCheckpoint(draft)
        try expect(created.sessionCreated && created.checkpoint.project == "beta", "the named session is created in beta")
        try expect(try await auditRows() == 2, "a created session has its audit row, and the checkpoint its own")

        var joining = CheckpointDraft(description: "Joined without naming a project")
        joining.sessionID = sessionID
        joining.id = ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f78")!
        // A title the save would not use is not checked.
        joining.sessionTitle = "   "
        let joined = try await service.saveCheckpoint(joining)
        try expect(!joined.sessionCreated, "an existing session is not created again")
        try expect(joined.checkpoint.project == "beta", "the checkpoint takes its session's project, not the default")
        try expect(try await auditRows() == 3, "joining writes the checkpoint's audit row only")

        var elsewhere = joining
        elsewhere.id = nil
        elsewhere.description = "Named another project"
        elsewhere.project = "alpha"
        try await expectRefusal(of: elsewhere, by: service, saying: "belongs to project 'beta'")
        var retriedElsewhere = joining
        retriedElsewhere.project = "alpha"
        try await expectRefusal(of: retriedElsewhere, by: service, saying: "belongs to project 'beta'")
        try expect(try await auditRows() == 3, "a refused save writes nothing")

        var untitled = CheckpointDraft(description: "A new session needs a title")
        untitled.sessionID = ItemID("0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f79")!
        untitled.sessionTitle = "   "
        do {
            _ = try await service.saveCheckpoint(untitled)
            throw ScenarioFailure(step: "a session created with a blank title is refused")
        } catch let error as ContextError {
            try expect(error.field == "sessionTitle", "a session created with a blank title is refused on sessionTitle")
        }

        _ = try await service.deleteSession(id: sessionID, purge: false, scope: .all)
        var late = joining
        late.id = nil
        late.sessionTitle = nil
        late.description = "After the session was deleted"
        try await expectRefusal(of: late, by: service, saying: "deleted session")
    }

    private static func expectRefusal(of draft: CheckpointDraft, by service: ContextService, saying text: String) async throws {
        let refusal: ContextError?
        do {
            _ = try await service.saveCheckpoint(draft)
            refusal = nil
        } catch {
            refusal = error
        }
        guard let refusal, refusal.code == .invalidInput, refusal.field == "sessionId", refusal.message.contains(text) else {
            throw ScenarioFailure(step: "saving '\(draft.description)' is refused on sessionId (\(text))")
        }
    }

    private static func expect(_ condition: Bool, _ step: String) throws {
        guard condition else { throw ScenarioFailure(step: step) }
    }
}

/// A step of a shared test scenario that did not hold.
package struct ScenarioFailure: Error, CustomStringConvertible {
    package var step: String
    package var description: String { "expected: \(step)" }
}
