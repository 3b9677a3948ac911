import ContextCore
import ContextProtocol
import JSONRPC

extension MethodRegistry {
    /// `loadContext`, `stats`.
    mutating func registerContext(_ service: ContextService, configuration: ServerConfiguration) {
        register(LoadContext.self) { params, _ in
            var request = ContextRequest(
                query: params.query,
                scope: try service.scope(for: params.project),
                sessionID: try WireMapping.optionalID(params.sessionId, field: "sessionId"),
                tokenBudget: params.tokenBudget ?? Limits.defaultTokenBudget
            )
            request.mode = WireMapping.mode(params.mode)
            let loaded = try await service.loadContext(request)
            var result = LoadContext.Result(
                context: loaded.text,
                checkpoints: [],
                patterns: [],
                decisions: [],
                tokensUsed: loaded.tokensUsed,
                tokenBudget: loaded.tokenBudget,
                mode: WireMapping.searchMode(loaded.mode),
                source: WireMapping.storage(loaded.source)
            )
            for item in loaded.items {
                let score = (item.score * 10_000).rounded() / 10_000
                switch item.content {
                case .checkpoint(let checkpoint):
                    result.checkpoints.append(
                        .init(
                            id: checkpoint.id.description,
                            sessionId: checkpoint.sessionID.description,
                            description: checkpoint.description,
                            createdAt: checkpoint.createdAt,
                            score: score,
                            tokens: item.tokens
                        )
                    )
                case .pattern(let pattern):
                    result.patterns.append(
                        .init(
                            id: pattern.id.description,
                            name: pattern.name,
                            patternType: WirePatternType(rawValue: pattern.patternType.rawValue) ?? .workflow,
                            confidence: pattern.confidence,
                            score: score,
                            tokens: item.tokens
                        )
                    )
                case .decision(let text, let sessionID):
                    result.decisions.append(.init(text: text, sessionId: sessionID.description, score: score, tokens: item.tokens))
                }
            }
            return result
        }
        register(Stats.self) { params, _ in
            let scope = try service.scope(for: params.project)
            let statistics = try await service.statistics(scope: scope)
            var sessions = Dictionary(uniqueKeysWithValues: SessionStatus.allCases.map { ($0.rawValue, statistics.sessionsByStatus[$0] ?? 0) })
            sessions["total"] = statistics.sessionsByStatus.values.reduce(0, +)
            var patterns = Dictionary(uniqueKeysWithValues: PatternType.allCases.map { ($0.rawValue, statistics.patternsByType[$0] ?? 0) })
            patterns["total"] = statistics.patternsByType.values.reduce(0, +)
            var result = Stats.Result(
                project: scope.projectName ?? "*",
                sessions: sessions,
                checkpoints: statistics.checkpoints,
                patterns: patterns,
                contextLoads: statistics.contextLoads,
                tags: statistics.tags,
                oldestItem: statistics.oldestItem,
                newestItem: statistics.newestItem,
                source: WireMapping.storage(await service.readLocation())
            )
            result.sync = await configuration.syncState?()
            return result
        }
    }
}
