import ContextCore
import ContextProtocol
import JSONRPC

extension MethodRegistry {
    /// `searchPatterns`, `searchSessions`, `searchCheckpoints`, `search`.
    mutating func registerSearch(_ service: ContextService) {
        register(SearchPatterns.self) { params, _ in
            var request = SearchRequest(
                query: params.query,
                kinds: [.pattern],
                scope: try service.scope(for: params.project),
                limit: try Validate.limit(params.limit ?? 10)
            )
            request.mode = WireMapping.mode(params.mode)
            request.patternType = WireMapping.patternType(params.patternType)
            request.minScore = params.minScore
            let results = try await service.search(request)
            let hits = results.hits.compactMap { hit -> PatternHit? in
                guard case .pattern(let pattern) = hit.item else { return nil }
                return PatternHit(pattern: WireMapping.wire(pattern), score: rounded(hit.score), signals: hit.signals.mapValues(rounded))
            }
            return SearchResult(hits: hits, mode: WireMapping.searchMode(results.mode), source: WireMapping.storage(await service.readLocation()), note: note(params.mode, service))
        }
        register(SearchSessions.self) { params, _ in
            var request = SearchRequest(
                query: params.query,
                kinds: [.session],
                scope: try service.scope(for: params.project),
                limit: try Validate.limit(params.limit ?? 10)
            )
            request.mode = WireMapping.mode(params.mode)
            request.minScore = params.minScore
            let results = try await service.search(request)
            let hits = results.hits.compactMap { hit -> SessionHit? in
                guard case .session(let session) = hit.item else { return nil }
                return SessionHit(session: WireMapping.wire(session), score: rounded(hit.score), signals: hit.signals.mapValues(rounded))
            }
            return SearchResult(hits: hits, mode: WireMapping.searchMode(results.mode), source: WireMapping.storage(await service.readLocation()), note: note(params.mode, service))
        }
        register(SearchCheckpoints.self) { params, _ in
            var request = SearchRequest(
                query: params.query,
                kinds: [.checkpoint],
                scope: try service.scope(for: params.project),
                limit: try Validate.limit(params.limit ?? 10)
            )
            request.mode = WireMapping.mode(params.mode)
            request.sessionID = try WireMapping.optionalID(params.sessionId, field: "sessionId")
            request.minScore = params.minScore
            let results = try await service.search(request)
            let hits = results.hits.compactMap { hit -> CheckpointHit? in
                guard case .checkpoint(let checkpoint) = hit.item else { return nil }
                return CheckpointHit(checkpoint: WireMapping.wire(checkpoint), score: rounded(hit.score), signals: hit.signals.mapValues(rounded))
            }
            return SearchResult(hits: hits, mode: WireMapping.searchMode(results.mode), source: WireMapping.storage(await service.readLocation()), note: note(params.mode, service))
        }
        register(Search.self) { params, _ in
            let kinds = (params.kinds ?? WireItemKind.allCases).compactMap { ItemKind(rawValue: $0.rawValue) }
            guard !kinds.isEmpty else { throw ContextError.invalid("kinds", "must name at least one kind") }
            var request = SearchRequest(
                query: params.query,
                kinds: Array(Set(kinds)).sorted { $0.rawValue < $1.rawValue },
                scope: try service.scope(for: params.project),
                limit: try Validate.limit(params.limit ?? 10)
            )
            request.mode = WireMapping.mode(params.mode)
            request.minScore = params.minScore
            let results = try await service.search(request)
            let hits = results.hits.map { hit -> AnyHit in
                var wire = AnyHit(kind: WireItemKind(rawValue: hit.item.kind.rawValue) ?? .pattern, score: rounded(hit.score), signals: hit.signals.mapValues(rounded))
                switch hit.item {
                case .session(let session): wire.session = WireMapping.wire(session)
                case .checkpoint(let checkpoint): wire.checkpoint = WireMapping.wire(checkpoint)
                case .pattern(let pattern): wire.pattern = WireMapping.wire(pattern)
                }
                return wire
            }
            return SearchResult(hits: hits, mode: WireMapping.searchMode(results.mode), source: WireMapping.storage(await service.readLocation()), note: note(params.mode, service))
        }
    }
}

/// Scores on the wire keep four decimals.
private func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }

/// Says why the search is lexical when the client did not choose a mode.
private func note(_ requested: WireSearchMode?, _ service: ContextService) -> String? {
    guard requested == nil, !service.configuration.isSemanticSearchAvailable else { return nil }
    return "lexical search only: the embedding model is not installed (see health)"
}
