import Foundation

/// What a client gives to save a checkpoint.
package struct CheckpointDraft: Sendable, Hashable {
    package var id: ItemID?
    package var sessionID: ItemID?
    /// Title of the session created when `sessionID` names none (default: the description).
    package var sessionTitle: String?
    package var project: String?
    package var description: String
    package var content: String?
    package var checkpointPath: String?
    package var gitCommit: String?
    package var gitBranch: String?
    package var tags: [String]?
    package var metadataJSON: String?
    package var privacyLevel: PrivacyLevel?

    package init(description: String) { self.description = description }
}

/// A saved checkpoint, the session it belongs to, and what happened.
package struct CheckpointSaved: Sendable {
    package var checkpoint: Checkpoint
    package var sessionCreated: Bool
    /// True when the id existed already and nothing was written.
    package var isDuplicate: Bool
    package var stored: StorageLocation
}

extension ContextService {
    package func saveCheckpoint(_ draft: CheckpointDraft) async throws(ContextError) -> CheckpointSaved {
        let date = currentDate()
        let level = draft.privacyLevel ?? configuration.defaultPrivacyLevel
        let description = try Validate.text(draft.description, field: "description", maximum: Limits.description)
        _ = try Validate.bytes(draft.content, field: "content", maximum: Limits.content)
        let project = try project(for: draft.project)

        // The session: the one named, created when it does not exist; a new one when none is named. Whether the
        // named one exists, and may take the checkpoint, is checked by the store in the write's transaction
        // (one step, not a read and then a write).
        let sessionID = draft.sessionID ?? makeID(at: date)
        let rule = SessionRule(project: draft.project == nil ? nil : project, refusesDeleted: true, named: draft.sessionID != nil)
        var newSession: Session?
        do {
            let title = try Validate.text(draft.sessionTitle ?? String(description.prefix(120)), field: "sessionTitle", maximum: Limits.title)
            newSession = Session(id: sessionID, project: project, title: title, privacyLevel: level, at: date)
        } catch {
            // The title matters only to a session this save creates: one that exists is joined as before.
            guard draft.sessionID != nil, try await storage("reading a session", { try await store.session(id: sessionID, touch: nil) }) != nil
            else { throw error }
        }
        var sessionProject = project
        if level == .ephemeral, draft.sessionID != nil {
            // Nothing is written: the session is read only to answer as a save would.
            if let existing = try await storage("reading a session", { try await store.session(id: sessionID, touch: nil) }) {
                try rule.check(project: existing.project, status: existing.status)
                sessionProject = existing.project
                newSession = nil
            }
        }

        var findings: [String: Int] = [:]
        var checkpoint = Checkpoint(
            id: draft.id ?? makeID(at: date),
            sessionID: sessionID,
            project: sessionProject,
            description: redact(description, level: level, into: &findings) ?? description,
            at: date
        )
        checkpoint.content = redact(draft.content, level: level, into: &findings)
        checkpoint.checkpointPath = try Validate.optionalText(draft.checkpointPath, field: "checkpointPath", maximum: 4096)
        checkpoint.gitCommit = try gitCommit(draft.gitCommit)
        checkpoint.gitBranch = try Validate.optionalText(draft.gitBranch, field: "gitBranch", maximum: Limits.shortText)
        checkpoint.tags = try Validate.tags(draft.tags)
        checkpoint.metadataJSON = redact(
            try json(draft.metadataJSON, field: "metadata", requireObject: true),
            level: level,
            into: &findings
        )
        checkpoint.privacyLevel = level

        if level == .ephemeral {
            return CheckpointSaved(checkpoint: checkpoint, sessionCreated: false, isDuplicate: false, stored: .none)
        }
        var audits = [audit(.checkpoint, checkpoint.id, level: level, findings: findings, at: date)]
        if var session = newSession {
            var sessionFindings: [String: Int] = [:]
            session.title = redact(session.title, level: level, into: &sessionFindings) ?? session.title
            session.tags = checkpoint.tags
            session.piiDetected = !sessionFindings.isEmpty
            session.piiRedacted = !sessionFindings.isEmpty
            newSession = session
            audits.append(audit(.session, session.id, level: level, findings: sessionFindings, at: date))
        }
        let toSave = checkpoint
        let sessionToCreate = newSession
        // Centrally the vectors are computed first and written with the rows (a failure saves neither): the
        // checkpoint's, and its session's when no session is named (one named is created only when missing).
        let vectors = try await centralVectors(
            for: [.checkpoint(toSave)] + (draft.sessionID == nil ? sessionToCreate.map { [.session($0)] } ?? [] : []), at: date)
        let outcome = try await storage("saving a checkpoint") {
            guard let vectors else { return try await store.saveCheckpoint(toSave, creating: sessionToCreate, audits: audits, rule: rule) }
            do {
                return try await store.saveCheckpoint(toSave, creating: sessionToCreate, audits: audits, rule: rule, vectors: vectors)
            } catch let failure as VectorWriteFailure {
                throw vectorWriteError(failure)
            }
        }
        switch outcome {
        case .inserted(let saved, let sessionCreated):
            let created = sessionCreated ? sessionToCreate : nil
            var unindexed: [FoundItem] = vectors == nil ? [.checkpoint(saved)] : []
            if let created, vectors?.embeddings.contains(where: { $0.id == created.id }) != true { unindexed.append(.session(created)) }
            try await index(unindexed, at: date)
            let written = (created.map { [ItemReference(kind: .session, id: $0.id)] } ?? []) + [ItemReference(kind: .checkpoint, id: saved.id)]
            return CheckpointSaved(checkpoint: saved, sessionCreated: created != nil, isDuplicate: false, stored: await stored(written))
        case .existing(let stored):
            // A retry that names another project is refused as the first save would have been.
            try rule.check(project: stored.project, status: .active)
            guard stored.description == checkpoint.description, stored.sessionID == checkpoint.sessionID || draft.sessionID == nil
            else {
                throw ContextError(
                    .conflict,
                    "checkpoint \(stored.id) exists with different content; checkpoints are append-only",
                    field: "id"
                )
            }
            let location = await self.stored([ItemReference(kind: .checkpoint, id: stored.id)])
            return CheckpointSaved(checkpoint: stored, sessionCreated: false, isDuplicate: true, stored: location)
        }
    }

    package func checkpoint(id: ItemID, scope: ProjectScope) async throws(ContextError) -> Checkpoint {
        let date = currentDate()
        guard let checkpoint = try await storage("reading a checkpoint", { try await store.checkpoint(id: id, touch: date) }),
            scope.contains(checkpoint.project)
        else { throw .notFound("checkpoint", id) }
        return checkpoint
    }

    package func checkpoints(_ query: CheckpointQuery) async throws(ContextError) -> Page<Checkpoint> {
        try await storage("listing checkpoints") { try await store.checkpoints(matching: query) }
    }

    private func gitCommit(_ value: String?) throws(ContextError) -> String? {
        guard let value else { return nil }
        let trimmed = value.trimmingWhitespace()
        guard (4...64).contains(trimmed.count), trimmed.allSatisfy(\.isHexDigit) else {
            throw .invalid("gitCommit", "must be a hexadecimal commit hash of 4 to 64 characters")
        }
        return trimmed.lowercased()
    }
}
