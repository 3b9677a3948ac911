import ContextCore
import ContextProtocol
import JSONRPC

extension MethodRegistry {
    /// `savePattern`, `getPattern`, `listPatterns`.
    mutating func registerPatterns(_ service: ContextService) {
        register(SavePattern.self) { params, _ in
            var draft = PatternDraft(patternType: WireMapping.patternType(params.patternType) ?? .workflow, name: params.name)
            draft.id = try WireMapping.optionalID(params.id, field: "id")
            draft.project = params.project
            draft.description = params.description
            draft.template = params.template
            draft.patternJSON = try WireMapping.jsonText(params.patternJson, field: "patternJson")
            draft.confidence = params.confidence
            draft.qualityScore = params.qualityScore
            draft.successRate = params.successRate
            draft.sourceSessionID = try WireMapping.optionalID(params.sourceSessionId, field: "sourceSessionId")
            draft.tags = params.tags
            draft.privacyLevel = WireMapping.privacy(params.privacyLevel)
            let saved = try await service.savePattern(draft)
            return SavePattern.Result(
                pattern: WireMapping.wire(saved.pattern),
                action: saved.action == .merged ? .merged : .created,
                similarity: saved.similarity.map { ($0 * 1000).rounded() / 1000 },
                stored: WireMapping.storage(saved.stored)
            )
        }
        register(GetPattern.self) { params, _ in
            let pattern = try await service.pattern(
                id: try WireMapping.id(params.id, field: "id"),
                scope: try service.scope(for: params.project)
            )
            return GetPattern.Result(pattern: WireMapping.wire(pattern), source: WireMapping.storage(await service.readLocation()))
        }
        register(ListPatterns.self) { params, _ in
            let filter = try WireMapping.listFilter(
                scope: try service.scope(for: params.project),
                tags: params.tags,
                since: params.since,
                until: params.until,
                limit: params.limit,
                cursor: params.cursor
            )
            var query = PatternQuery(filter: filter, patternType: WireMapping.patternType(params.patternType))
            query.minConfidence = try Validate.unitInterval(params.minConfidence, field: "minConfidence")
            query.includeDeprecated = params.includeDeprecated ?? false
            let page = try await service.patterns(query)
            return ListPatterns.Result(patterns: page.items.map(WireMapping.wire), nextCursor: page.nextCursor, source: WireMapping.storage(await service.readLocation()))
        }
    }
}
