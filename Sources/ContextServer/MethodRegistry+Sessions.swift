import ContextCore
import ContextProtocol
import JSONRPC

extension MethodRegistry {
    /// `createSession`, `getSession`, `listSessions`, `updateSession`, `deleteSession`.
    mutating func registerSessions(_ service: ContextService) {
        register(CreateSession.self) { params, _ in
            var draft = SessionDraft(title: params.title)
            draft.id = try WireMapping.optionalID(params.id, field: "id")
            draft.project = params.project
            draft.description = params.description
            draft.contextSummary = params.contextSummary
            draft.privacyLevel = WireMapping.privacy(params.privacyLevel)
            draft.sessionType = params.sessionType
            draft.tags = params.tags
            draft.decisions = params.decisions
            draft.metadataJSON = try WireMapping.jsonText(params.metadata, field: "metadata", requireObject: true)
            draft.conversationJSON = try WireMapping.jsonText(params.conversation, field: "conversation")
            draft.fileChangesJSON = try WireMapping.jsonText(params.fileChanges, field: "fileChanges")
            draft.parentSessionID = try WireMapping.optionalID(params.parentSessionId, field: "parentSessionId")
            let saved = try await service.createSession(draft)
            return CreateSession.Result(session: WireMapping.wire(saved.session), stored: WireMapping.storage(saved.stored))
        }
        register(GetSession.self) { params, _ in
            let scope = try service.scope(for: params.project)
            let id = try WireMapping.id(params.id, field: "id")
            let count = params.checkpoints ?? 0
            guard (0...Limits.maximumListLimit).contains(count) else {
                throw ContextError.invalid("checkpoints", "must be between 0 and \(Limits.maximumListLimit)")
            }
            let session = try await service.session(id: id, scope: scope)
            var checkpoints: [WireCheckpoint]?
            if count > 0 {
                var query = CheckpointQuery(filter: ListFilter(scope: .all), sessionID: session.id)
                query.filter.limit = count
                checkpoints = try await service.checkpoints(query).items.map(WireMapping.wire)
            }
            return GetSession.Result(session: WireMapping.wire(session), checkpoints: checkpoints, source: WireMapping.storage(await service.readLocation()))
        }
        register(ListSessions.self) { params, _ in
            let filter = try WireMapping.listFilter(
                scope: try service.scope(for: params.project),
                tags: params.tags,
                since: params.since,
                until: params.until,
                limit: params.limit,
                cursor: params.cursor
            )
            let page = try await service.sessions(SessionQuery(filter: filter, status: WireMapping.status(params.status)))
            return ListSessions.Result(sessions: page.items.map(WireMapping.wire), nextCursor: page.nextCursor, source: WireMapping.storage(await service.readLocation()))
        }
        register(UpdateSession.self) { params, _ in
            var changes = SessionChanges()
            changes.title = params.title
            changes.description = params.description
            changes.contextSummary = params.contextSummary
            changes.status = WireMapping.status(params.status)
            changes.sessionType = params.sessionType
            changes.tags = params.tags
            changes.addTags = params.addTags
            changes.decisions = params.decisions
            changes.addDecisions = params.addDecisions
            changes.metadataJSON = try WireMapping.jsonText(params.metadata, field: "metadata", requireObject: true)
            changes.conversationJSON = try WireMapping.jsonText(params.conversation, field: "conversation")
            changes.fileChangesJSON = try WireMapping.jsonText(params.fileChanges, field: "fileChanges")
            changes.durationMinutes = params.durationMinutes
            changes.messagesCount = params.messagesCount
            changes.filesChanged = params.filesChanged
            let saved = try await service.updateSession(
                id: try WireMapping.id(params.id, field: "id"),
                changes: changes,
                scope: try service.scope(for: params.project)
            )
            return CreateSession.Result(session: WireMapping.wire(saved.session), stored: WireMapping.storage(saved.stored))
        }
        register(DeleteSession.self) { params, _ in
            let id = try WireMapping.id(params.id, field: "id")
            let purge = params.purge ?? false
            let stored = try await service.deleteSession(id: id, purge: purge, scope: try service.scope(for: params.project))
            return DeleteSession.Result(id: id.description, deleted: true, purged: purge, stored: WireMapping.storage(stored))
        }
    }
}
