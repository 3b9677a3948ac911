import Foundation

/// What a client gives to save a pattern.
package struct PatternDraft: Sendable, Hashable {
    package var id: ItemID?
    package var project: String?
    package var patternType: PatternType
    package var name: String
    package var description: String?
    package var template: String?
    package var patternJSON: String?
    package var confidence: Double?
    package var qualityScore: Double?
    package var successRate: Double?
    package var sourceSessionID: ItemID?
    package var tags: [String]?
    package var privacyLevel: PrivacyLevel?

    package init(patternType: PatternType, name: String) {
        self.patternType = patternType
        self.name = name
    }
}

/// What `savePattern` did.
package struct PatternSaved: Sendable {
    package enum Action: String, Sendable, Codable { case created, merged }
    package var pattern: Pattern
    package var action: Action
    /// The similarity to the pattern merged into (for `merged`).
    package var similarity: Double?
    package var stored: StorageLocation
}

extension ContextService {
    package func savePattern(_ draft: PatternDraft) async throws(ContextError) -> PatternSaved {
        let date = currentDate()
        let level = draft.privacyLevel ?? configuration.defaultPrivacyLevel
        let project = try project(for: draft.project)
        var findings: [String: Int] = [:]
        var pattern = Pattern(
            id: draft.id ?? makeID(at: date),
            project: project,
            patternType: draft.patternType,
            name: try Validate.text(draft.name, field: "name", maximum: Limits.name),
            at: date
        )
        pattern.name = redact(pattern.name, level: level, into: &findings) ?? pattern.name
        pattern.description = redact(
            try Validate.optionalText(draft.description, field: "description", maximum: Limits.description),
            level: level,
            into: &findings
        )
        pattern.template = redact(
            try Validate.optionalText(draft.template, field: "template", maximum: Limits.template),
            level: level,
            into: &findings
        )
        pattern.patternJSON = redact(try json(draft.patternJSON, field: "patternJson"), level: level, into: &findings)
        pattern.confidence = try Validate.unitInterval(draft.confidence, field: "confidence") ?? 0.5
        pattern.qualityScore = try Validate.unitInterval(draft.qualityScore, field: "qualityScore")
        pattern.successRate = try Validate.unitInterval(draft.successRate, field: "successRate")
        pattern.sourceSessionID = draft.sourceSessionID
        pattern.tags = try Validate.tags(draft.tags)
        pattern.privacyLevel = level

        if level == .ephemeral { return PatternSaved(pattern: pattern, action: .created, similarity: nil, stored: .none) }

        if let id = draft.id, let existing = try await storage("reading a pattern", { try await store.pattern(id: id, touch: nil) }) {
            // Saving the same id twice is idempotent.
            return PatternSaved(pattern: existing, action: .created, similarity: nil, stored: await stored([ItemReference(kind: .pattern, id: existing.id)]))
        }
        // The new pattern's vector decides the merge (cosine) and is stored with it when it is created.
        let vector: [Float]? = await patternVector(pattern)
        if let (target, similarity) = try await mergeCandidate(for: pattern, vector: vector) {
            var merged = target
            let weight = Double(merged.frequency)
            merged.confidence = min(1, max(0, (merged.confidence * weight + pattern.confidence) / (weight + 1)))
            merged.frequency += 1
            merged.qualityScore = pattern.qualityScore ?? merged.qualityScore
            merged.successRate = pattern.successRate ?? merged.successRate
            merged.tags = try Validate.tags(merged.tags + pattern.tags)
            merged.description = merged.description ?? pattern.description
            merged.template = merged.template ?? pattern.template
            merged.updatedAt = max(date, merged.updatedAt)
            merged.lastUsedAt = date
            let audit = findings.isEmpty ? nil : audit(.pattern, merged.id, level: level, findings: findings, at: date)
            let toSave = merged
            merged = try await storage("saving a pattern") { try await store.mergePattern(toSave, audit: audit) }
            if SemanticIndex.text(of: .pattern(merged)) != SemanticIndex.text(of: .pattern(target)) {
                try await index([.pattern(merged)], at: date)
            }
            return PatternSaved(pattern: merged, action: .merged, similarity: similarity, stored: await stored([ItemReference(kind: .pattern, id: merged.id)]))
        }
        let audit = audit(.pattern, pattern.id, level: level, findings: findings, at: date)
        let toSave = pattern
        try await storage("saving a pattern") { try await store.savePattern(toSave, audit: audit) }
        if let semantic, let vector {
            do {
                try await semantic.record([semantic.embedding(of: .pattern(pattern), vector: vector, at: date)])
            } catch {
                try vectorFailure(error, semantic: semantic)
            }
        } else {
            try await index([.pattern(pattern)], at: date)
        }
        return PatternSaved(pattern: pattern, action: .created, similarity: nil, stored: await stored([ItemReference(kind: .pattern, id: pattern.id)]))
    }

    private func patternVector(_ pattern: Pattern) async -> [Float]? {
        guard let semantic else { return nil }
        return try? await semantic.vector(for: SemanticIndex.text(of: .pattern(pattern)))
    }

    /// The most similar live pattern of the same type and project, if similar enough to merge: by cosine
    /// similarity of the embeddings when the model is there, else by the Jaccard index of their terms.
    private func mergeCandidate(for pattern: Pattern, vector: [Float]?) async throws(ContextError) -> (Pattern, Double)? {
        let filter = SearchFilter(scope: .only(pattern.project), patternType: pattern.patternType)
        if let semantic, let vector {
            let nearest = try await storage("searching patterns") {
                try await semantic.nearest(to: vector, kind: .pattern, filter: filter, limit: 5)
            }
            let candidates = try await storage("reading patterns") { try await store.patterns(ids: nearest.map(\.id)) }
            let byID = Dictionary(uniqueKeysWithValues: candidates.map { ($0.id, $0) })
            for (id, score) in nearest where Double(score) >= configuration.semanticMergeThreshold {
                guard let candidate = byID[id], !candidate.deprecated, candidate.isLatest else { continue }
                return (candidate, Double(score))
            }
            return nil
        }
        let terms = TextTerms.terms(in: PatternSimilarity.text(of: pattern))
        guard !terms.isEmpty else { return nil }
        let hits = try await storage("searching patterns") {
            try await store.searchLexical(.pattern, terms: terms, matchAll: false, filter: filter, limit: 20)
        }
        let candidates = try await storage("reading patterns") { try await store.patterns(ids: hits.map(\.id)) }
        var best: (Pattern, Double)?
        for candidate in candidates where !candidate.deprecated && candidate.isLatest {
            let similarity = PatternSimilarity.similarity(candidate, pattern)
            if similarity >= configuration.mergeThreshold, similarity > (best?.1 ?? -1) {
                best = (candidate, similarity)
            }
        }
        return best
    }

    package func pattern(id: ItemID, scope: ProjectScope) async throws(ContextError) -> Pattern {
        let date = currentDate()
        guard let pattern = try await storage("reading a pattern", { try await store.pattern(id: id, touch: date) }),
            scope.contains(pattern.project)
        else { throw .notFound("pattern", id) }
        return pattern
    }

    package func patterns(_ query: PatternQuery) async throws(ContextError) -> Page<Pattern> {
        try await storage("listing patterns") { try await store.patterns(matching: query) }
    }
}
