import ContextCore
import ContextProtocol
import JSONRPC

extension MethodRegistry {
    /// `saveCheckpoint`, `getCheckpoint`, `listCheckpoints`.
    mutating func registerCheckpoints(_ service: ContextService) {
        register(SaveCheckpoint.self) { params, _ in
            var draft = CheckpointDraft(description: params.description)
            draft.id = try WireMapping.optionalID(params.id, field: "id")
            draft.sessionID = try WireMapping.optionalID(params.sessionId, field: "sessionId")
            draft.sessionTitle = params.sessionTitle
            draft.project = params.project
            draft.content = params.content
            draft.checkpointPath = params.checkpointPath
            draft.gitCommit = params.gitCommit
            draft.gitBranch = params.gitBranch
            draft.tags = params.tags
            draft.metadataJSON = try WireMapping.jsonText(params.metadata, field: "metadata", requireObject: true)
            draft.privacyLevel = WireMapping.privacy(params.privacyLevel)
            let saved = try await service.saveCheckpoint(draft)
            return SaveCheckpoint.Result(
                checkpoint: WireMapping.wire(saved.checkpoint),
                sessionId: saved.checkpoint.sessionID.description,
                sessionCreated: saved.sessionCreated,
                duplicate: saved.isDuplicate,
                stored: WireMapping.storage(saved.stored)
            )
        }
        register(GetCheckpoint.self) { params, _ in
            let checkpoint = try await service.checkpoint(
                id: try WireMapping.id(params.id, field: "id"),
                scope: try service.scope(for: params.project)
            )
            return GetCheckpoint.Result(checkpoint: WireMapping.wire(checkpoint), source: WireMapping.storage(await service.readLocation()))
        }
        register(ListCheckpoints.self) { params, _ in
            let filter = try WireMapping.listFilter(
                scope: try service.scope(for: params.project),
                tags: params.tags,
                since: params.since,
                until: params.until,
                limit: params.limit,
                cursor: params.cursor
            )
            var query = CheckpointQuery(filter: filter, sessionID: try WireMapping.optionalID(params.sessionId, field: "sessionId"))
            query.gitBranch = params.gitBranch
            let page = try await service.checkpoints(query)
            return ListCheckpoints.Result(
                checkpoints: page.items.map(WireMapping.wire),
                nextCursor: page.nextCursor,
                source: WireMapping.storage(await service.readLocation())
            )
        }
    }
}
