import Foundation

/// What a client gives to create a session.
package struct SessionDraft: Sendable, Hashable {
    package var id: ItemID?
    package var project: String?
    package var title: String
    package var description: String?
    package var contextSummary: String?
    package var privacyLevel: PrivacyLevel?
    package var sessionType: String?
    package var tags: [String]?
    package var metadataJSON: String?
    package var conversationJSON: String?
    package var fileChangesJSON: String?
    package var decisions: [String]?
    package var parentSessionID: ItemID?
    package var sourceCheckpointID: ItemID?

    package init(title: String) { self.title = title }
}

/// The fields `updateSession` may change; nil leaves a field as it is.
package struct SessionChanges: Sendable, Hashable {
    package var title: String?
    package var description: String?
    package var contextSummary: String?
    package var status: SessionStatus?
    package var sessionType: String?
    package var tags: [String]?
    package var addTags: [String]?
    package var decisions: [String]?
    package var addDecisions: [String]?
    package var metadataJSON: String?
    package var conversationJSON: String?
    package var fileChangesJSON: String?
    package var durationMinutes: Int?
    package var messagesCount: Int?
    package var filesChanged: Int?

    package init() {}
}

/// A saved session and where it went.
package struct SessionSaved: Sendable {
    package var session: Session
    package var stored: StorageLocation
}

extension ContextService {
    package func createSession(_ draft: SessionDraft) async throws(ContextError) -> SessionSaved {
        let date = currentDate()
        let level = draft.privacyLevel ?? configuration.defaultPrivacyLevel
        var session = Session(
            id: draft.id ?? makeID(at: date),
            project: try project(for: draft.project),
            title: try Validate.text(draft.title, field: "title", maximum: Limits.title),
            privacyLevel: level,
            at: date
        )
        if let id = draft.id, let existing = try await storage("reading a session", { try await store.session(id: id, touch: nil) }) {
            // Saving the same id twice is idempotent.
            return SessionSaved(session: existing, stored: await stored([ItemReference(kind: .session, id: existing.id)]))
        }
        session.parentSessionID = draft.parentSessionID
        session.sourceCheckpointID = draft.sourceCheckpointID
        session.sessionType = try Validate.optionalText(draft.sessionType, field: "sessionType", maximum: Limits.shortText)
        session.tags = try Validate.tags(draft.tags)
        var findings: [String: Int] = [:]
        session.title = redact(session.title, level: level, into: &findings) ?? session.title
        session.description = redact(
            try Validate.optionalText(draft.description, field: "description", maximum: Limits.description),
            level: level,
            into: &findings
        )
        session.contextSummary = redact(
            try Validate.optionalText(draft.contextSummary, field: "contextSummary", maximum: Limits.summary),
            level: level,
            into: &findings
        )
        session.decisions = try validatedDecisions(draft.decisions, field: "decisions").map {
            redact($0, level: level, into: &findings) ?? $0
        }
        session.metadataJSON = redact(try json(draft.metadataJSON, field: "metadata", requireObject: true), level: level, into: &findings)
        session.conversationJSON = redact(try json(draft.conversationJSON, field: "conversation"), level: level, into: &findings)
        session.fileChangesJSON = redact(try json(draft.fileChangesJSON, field: "fileChanges"), level: level, into: &findings)
        session.piiDetected = !findings.isEmpty
        session.piiRedacted = !findings.isEmpty
        if level == .ephemeral { return SessionSaved(session: session, stored: .none) }
        if let parent = draft.parentSessionID {
            guard try await storage("reading a session", { try await store.session(id: parent, touch: nil) }) != nil else {
                throw ContextError(.notFound, "no session with id \(parent)", field: "parentSessionId")
            }
        }
        let audit = audit(.session, session.id, level: level, findings: findings, at: date)
        try await storage("saving a session") { try await store.saveSession(session, audit: audit) }
        try await index([.session(session)], at: date)
        return SessionSaved(session: session, stored: await stored([ItemReference(kind: .session, id: session.id)]))
    }

    /// The session, if it exists in scope; marks it accessed.
    package func session(id: ItemID, scope: ProjectScope) async throws(ContextError) -> Session {
        let date = currentDate()
        guard let session = try await storage("reading a session", { try await store.session(id: id, touch: date) }),
            scope.contains(session.project)
        else { throw .notFound("session", id) }
        return session
    }

    package func sessions(_ query: SessionQuery) async throws(ContextError) -> Page<Session> {
        try await storage("listing sessions") { try await store.sessions(matching: query) }
    }

    package func updateSession(id: ItemID, changes: SessionChanges, scope: ProjectScope) async throws(ContextError)
        -> SessionSaved
    {
        guard var session = try await storage("reading a session", { try await store.session(id: id, touch: nil) }),
            scope.contains(session.project)
        else { throw .notFound("session", id) }
        let original = session
        let date = currentDate()
        let level = session.privacyLevel
        var findings: [String: Int] = [:]
        if let title = changes.title {
            session.title = redact(try Validate.text(title, field: "title", maximum: Limits.title), level: level, into: &findings) ?? title
        }
        if let description = changes.description {
            session.description = redact(
                try Validate.optionalText(description, field: "description", maximum: Limits.description),
                level: level,
                into: &findings
            )
        }
        if let summary = changes.contextSummary {
            session.contextSummary = redact(
                try Validate.optionalText(summary, field: "contextSummary", maximum: Limits.summary),
                level: level,
                into: &findings
            )
        }
        if let status = changes.status {
            session.status = status
            session.archivedAt = status == .archived ? date : nil
        }
        if let sessionType = changes.sessionType {
            session.sessionType = try Validate.optionalText(sessionType, field: "sessionType", maximum: Limits.shortText)
        }
        if let tags = changes.tags { session.tags = try Validate.tags(tags) }
        if let addTags = changes.addTags {
            let merged = session.tags + (try Validate.tags(addTags, field: "addTags"))
            session.tags = try Validate.tags(merged, field: "addTags")
        }
        if let decisions = changes.decisions {
            session.decisions = try validatedDecisions(decisions, field: "decisions").map {
                redact($0, level: level, into: &findings) ?? $0
            }
        }
        if let added = changes.addDecisions {
            let redacted = try validatedDecisions(added, field: "addDecisions").map {
                redact($0, level: level, into: &findings) ?? $0
            }
            session.decisions = try validatedDecisions(session.decisions + redacted, field: "addDecisions")
        }
        if let metadata = changes.metadataJSON {
            session.metadataJSON = redact(try json(metadata, field: "metadata", requireObject: true), level: level, into: &findings)
        }
        if let conversation = changes.conversationJSON {
            session.conversationJSON = redact(try json(conversation, field: "conversation"), level: level, into: &findings)
        }
        if let fileChanges = changes.fileChangesJSON {
            session.fileChangesJSON = redact(try json(fileChanges, field: "fileChanges"), level: level, into: &findings)
        }
        if let minutes = changes.durationMinutes { session.durationMinutes = try nonNegative(minutes, field: "durationMinutes") }
        if let count = changes.messagesCount { session.messagesCount = try nonNegative(count, field: "messagesCount") }
        if let count = changes.filesChanged { session.filesChanged = try nonNegative(count, field: "filesChanged") }
        if !findings.isEmpty {
            session.piiDetected = true
            session.piiRedacted = true
        }
        session.updatedAt = max(date, session.updatedAt)
        if level == .ephemeral { return SessionSaved(session: session, stored: .none) }
        let audit = findings.isEmpty ? nil : audit(.session, session.id, level: level, findings: findings, at: date)
        try await storage("saving a session") { try await store.saveSession(session, audit: audit) }
        if SemanticIndex.text(of: .session(session)) != SemanticIndex.text(of: .session(original)) {
            try await index([.session(session)], at: date)
        }
        return SessionSaved(session: session, stored: await stored([ItemReference(kind: .session, id: session.id)]))
    }

    /// Soft delete (status `deleted`), or with `purge` erase the session and everything attached to it.
    @discardableResult
    package func deleteSession(id: ItemID, purge: Bool, scope: ProjectScope) async throws(ContextError)
        -> StorageLocation
    {
        guard var session = try await storage("reading a session", { try await store.session(id: id, touch: nil) }) else {
            // A purge whose last step failed is retried this way: the rows are gone, the sweep is not done.
            if purge, let central = semantic?.central { try await sweepVectors(ofPurgedSession: id, in: central) }
            throw .notFound("session", id)
        }
        guard scope.contains(session.project) else { throw .notFound("session", id) }
        if purge {
            let checkpointIDs = semantic == nil ? [] : try await checkpointIDs(ofSession: session)
            if let semantic, let central = semantic.central {
                // Centrally the vectors go first (their records, then ChromaDB): a failure leaves the rows in
                // place for a retry, and `memctx reindex` restores any vector already gone.
                try await storage("erasing vectors") {
                    try await semantic.forget(.session, ids: [session.id])
                    try await semantic.forget(.checkpoint, ids: checkpointIDs)
                }
                _ = try await storage("purging a session") { try await store.purgeSession(id: id) }
                try await sweepVectors(ofPurgedSession: id, in: central)
            } else {
                // Locally the store erases rows and vectors in one transaction; this process's tables follow.
                _ = try await storage("purging a session") { try await store.purgeSession(id: id) }
                semantic?.forgetInMemory(.session, ids: [session.id])
                semantic?.forgetInMemory(.checkpoint, ids: checkpointIDs)
            }
            return await stored([ItemReference(kind: .session, id: id)])
        }
        session.status = .deleted
        session.updatedAt = max(currentDate(), session.updatedAt)
        try await storage("deleting a session") { try await store.saveSession(session, audit: nil) }
        return await stored([ItemReference(kind: .session, id: session.id)])
    }

    /// A purge's last step centrally: a save into (or of) the session that committed while the purge waited for
    /// it sent its vectors after the purge listed them; found by session id, they go too. Nothing is left to
    /// find for a session that was never there.
    private func sweepVectors(ofPurgedSession id: ItemID, in central: any VectorIndex) async throws(ContextError) {
        try await storage("erasing vectors") { try await central.removeVectors(ofSession: id) }
    }

    /// The ids of every checkpoint of a session.
    private func checkpointIDs(ofSession session: Session) async throws(ContextError) -> [ItemID] {
        var ids: [ItemID] = []
        var query = CheckpointQuery(filter: ListFilter(scope: .only(session.project)), sessionID: session.id)
        query.filter.limit = 100
        while true {
            let page = try await checkpoints(query)
            ids += page.items.map(\.id)
            guard let cursor = page.nextCursor else { break }
            query.filter.cursor = cursor
        }
        return ids
    }

    func validatedDecisions(_ decisions: [String]?, field: String) throws(ContextError) -> [String] {
        guard let decisions else { return [] }
        if decisions.count > Limits.decisions { throw .invalid(field, "has more than \(Limits.decisions) entries") }
        var result: [String] = []
        for (index, decision) in decisions.enumerated() {
            result.append(try Validate.text(decision, field: "\(field)[\(index)]", maximum: Limits.decision))
        }
        return result
    }

    func nonNegative(_ value: Int, field: String) throws(ContextError) -> Int {
        guard value >= 0 else { throw .invalid(field, "must not be negative") }
        return value
    }
}
