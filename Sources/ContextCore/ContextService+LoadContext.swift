import Foundation

/// What to load context for.
package struct ContextRequest: Sendable, Hashable {
    /// What the agent is about to do; nil loads the most recent and most confident items.
    package var query: String?
    package var scope: ProjectScope
    /// The session being resumed: its decisions and latest checkpoints come first.
    package var sessionID: ItemID?
    package var tokenBudget: Int
    /// How the query is matched; nil: hybrid when the model is there, else lexical.
    package var mode: SearchMode?

    package init(query: String?, scope: ProjectScope, sessionID: ItemID?, tokenBudget: Int) {
        self.query = query
        self.scope = scope
        self.sessionID = sessionID
        self.tokenBudget = tokenBudget
    }
}

/// One packed piece of context.
package struct ContextItem: Sendable, Hashable {
    package enum Content: Sendable, Hashable {
        case checkpoint(Checkpoint)
        case pattern(Pattern)
        case decision(text: String, sessionID: ItemID)
    }

    package var content: Content
    /// The markdown this item contributes to `LoadedContext.text`.
    package var text: String
    package var tokens: Int
    package var score: Double
}

package struct LoadedContext: Sendable {
    package var items: [ContextItem]
    /// Every item's text joined: what an agent pastes into its prompt.
    package var text: String
    package var tokensUsed: Int
    package var tokenBudget: Int
    package var mode: SearchMode
    package var source: StorageLocation
}

extension ContextService {
    /// Estimated tokens of a text: one per four UTF-8 bytes, rounded up (the usual rule of thumb for
    /// English and code with BPE tokenizers).
    package static func estimatedTokens(_ text: String) -> Int {
        (text.utf8.count + 3) / 4
    }

    /// The most relevant checkpoints, patterns and decisions for a query, packed under the token budget,
    /// best first. Writes a `context_loads` row and marks returned patterns used.
    package func loadContext(_ request: ContextRequest) async throws(ContextError) -> LoadedContext {
        guard (Limits.minimumTokenBudget...Limits.maximumTokenBudget).contains(request.tokenBudget) else {
            throw .invalid("tokenBudget", "must be between \(Limits.minimumTokenBudget) and \(Limits.maximumTokenBudget)")
        }
        let date = currentDate()
        var mode = try resolveMode(request.mode)
        var candidates: [ContextItem] = []
        let query = try request.query.map { (text) throws(ContextError) in
            try Validate.text(text, field: "query", maximum: Limits.query)
        }
        let terms = query.map { TextTerms.terms(in: $0) } ?? []
        if query != nil, terms.isEmpty, mode == .lexical {
            throw .invalid("query", "must contain at least one word of two or more letters or digits")
        }

        if let sessionID = request.sessionID {
            let session = try await self.session(id: sessionID, scope: request.scope)
            for (index, decision) in session.decisions.reversed().enumerated() {
                candidates.append(decisionItem(decision, session: session.id, score: 1.0 - Double(index) * 0.001))
            }
            var recent = CheckpointQuery(filter: ListFilter(scope: request.scope), sessionID: sessionID)
            recent.filter.limit = 3
            for (index, checkpoint) in try await checkpoints(recent).items.enumerated() {
                candidates.append(checkpointItem(checkpoint, score: 0.99 - Double(index) * 0.01))
            }
        }

        if query == nil {
            var recent = CheckpointQuery(filter: ListFilter(scope: request.scope))
            recent.filter.limit = 10
            for (index, checkpoint) in try await checkpoints(recent).items.enumerated() {
                candidates.append(checkpointItem(checkpoint, score: 0.5 - Double(index) * 0.01))
            }
            var patterns = PatternQuery(filter: ListFilter(scope: request.scope))
            patterns.filter.limit = 20
            for pattern in try await self.patterns(patterns).items {
                candidates.append(patternItem(pattern, score: 0.3 * pattern.confidence))
            }
            var sessions = SessionQuery(filter: ListFilter(scope: request.scope), status: .active)
            sessions.filter.limit = 5
            for session in try await self.sessions(sessions).items {
                for decision in session.decisions.suffix(3) {
                    candidates.append(decisionItem(decision, session: session.id, score: 0.4))
                }
            }
        } else {
            var search = SearchRequest(query: query ?? "", kinds: [.checkpoint, .pattern, .session], scope: request.scope, limit: 30)
            // The requested mode as is: without one, search falls back to lexical if the model fails.
            search.mode = request.mode
            let results = try await self.search(search)
            mode = results.mode
            for hit in results.hits {
                switch hit.item {
                case .checkpoint(let checkpoint):
                    candidates.append(checkpointItem(checkpoint, score: hit.score))
                case .pattern(let pattern):
                    // Confidence breaks ties between equally matching patterns.
                    candidates.append(patternItem(pattern, score: hit.score * (0.75 + 0.25 * pattern.confidence)))
                case .session(let session):
                    let matching = session.decisions.filter { decision in
                        let decisionTerms = Set(TextTerms.terms(in: decision, limit: Int.max))
                        return terms.contains { decisionTerms.contains($0) }
                    }
                    for decision in (matching.isEmpty ? Array(session.decisions.suffix(2)) : matching) {
                        candidates.append(decisionItem(decision, session: session.id, score: hit.score * (matching.isEmpty ? 0.5 : 1)))
                    }
                }
            }
        }

        // Greedy packing, best first; an item that does not fit is skipped for smaller ones.
        var seen = Set<String>()
        var packed: [ContextItem] = []
        var used = 0
        for item in candidates.sorted(by: { $0.score > $1.score }) {
            guard seen.insert(item.text).inserted else { continue }
            if used + item.tokens <= request.tokenBudget {
                packed.append(item)
                used += item.tokens
            }
        }
        let text = packed.map(\.text).joined()
        let load = ContextLoad(
            id: makeID(at: date),
            project: request.scope.projectName ?? configuration.defaultProject,
            query: query ?? "",
            sessionID: request.sessionID,
            checkpointIDs: packed.compactMap { if case .checkpoint(let checkpoint) = $0.content { checkpoint.id } else { nil } },
            patternIDs: packed.compactMap { if case .pattern(let pattern) = $0.content { pattern.id } else { nil } },
            decisionCount: packed.filter { if case .decision = $0.content { true } else { false } }.count,
            tokensUsed: Self.estimatedTokens(text),
            tokenBudget: request.tokenBudget,
            createdAt: date
        )
        try await storage("recording a context load") { try await store.recordContextLoad(load) }
        return LoadedContext(
            items: packed,
            text: text,
            tokensUsed: Self.estimatedTokens(text),
            tokenBudget: request.tokenBudget,
            mode: mode,
            source: await readLocation()
        )
    }

    private func checkpointItem(_ checkpoint: Checkpoint, score: Double) -> ContextItem {
        var text = "## Checkpoint: \(checkpoint.description)\n"
        if let branch = checkpoint.gitBranch { text += "branch \(branch)" + (checkpoint.gitCommit.map { " @ \($0)" } ?? "") + "\n" }
        if let content = checkpoint.content, !content.isEmpty {
            text += String(content.prefix(2_000)) + (content.count > 2_000 ? "…" : "") + "\n"
        }
        text += "\n"
        return ContextItem(content: .checkpoint(checkpoint), text: text, tokens: Self.estimatedTokens(text), score: score)
    }

    private func patternItem(_ pattern: Pattern, score: Double) -> ContextItem {
        var text = "## Pattern (\(pattern.patternType.rawValue)): \(pattern.name)\n"
        if let description = pattern.description { text += description + "\n" }
        if let template = pattern.template { text += String(template.prefix(2_000)) + "\n" }
        text += "\n"
        return ContextItem(content: .pattern(pattern), text: text, tokens: Self.estimatedTokens(text), score: score)
    }

    private func decisionItem(_ decision: String, session: ItemID, score: Double) -> ContextItem {
        let text = "- Decision: \(decision)\n"
        return ContextItem(
            content: .decision(text: decision, sessionID: session),
            text: text,
            tokens: Self.estimatedTokens(text),
            score: score
        )
    }
}

extension ProjectScope {
    /// The project named, or nil for all projects.
    package var projectName: String? {
        if case .only(let name) = self { return name }
        return nil
    }
}
