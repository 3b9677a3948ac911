package import Foundation
import JSONRPC

/// The most relevant checkpoints, patterns and decisions for a query, packed under a token budget.
/// See `loadContext`.
package enum LoadContext: RPCMethod {
    package static let name = "loadContext"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        /// What the agent is about to do; without it the most recent and most confident items are loaded.
        package var query: String?
        package var project: String?
        /// A session to resume: its decisions and latest checkpoints come first.
        package var sessionId: String?
        /// Tokens the packed context may use (50…100000; default 2000).
        package var tokenBudget: Int?
        /// How the query is matched: `hybrid` (default with the model), `semantic` or `lexical`.
        package var mode: WireSearchMode?
        package enum CodingKeys: String, CodingKey, CaseIterable { case query, project, sessionId, tokenBudget, mode }
    }

    package struct CheckpointEntry: Codable, Hashable, Sendable {
        package var id: String
        package var sessionId: String
        package var description: String
        package var createdAt: Date
        package var score: Double
        package var tokens: Int
        package init(id: String, sessionId: String, description: String, createdAt: Date, score: Double, tokens: Int) {
            self.id = id
            self.sessionId = sessionId
            self.description = description
            self.createdAt = createdAt
            self.score = score
            self.tokens = tokens
        }
    }

    package struct PatternEntry: Codable, Hashable, Sendable {
        package var id: String
        package var name: String
        package var patternType: WirePatternType
        package var confidence: Double
        package var score: Double
        package var tokens: Int
        package init(id: String, name: String, patternType: WirePatternType, confidence: Double, score: Double, tokens: Int) {
            self.id = id
            self.name = name
            self.patternType = patternType
            self.confidence = confidence
            self.score = score
            self.tokens = tokens
        }
    }

    package struct DecisionEntry: Codable, Hashable, Sendable {
        package var text: String
        package var sessionId: String
        package var score: Double
        package var tokens: Int
        package init(text: String, sessionId: String, score: Double, tokens: Int) {
            self.text = text
            self.sessionId = sessionId
            self.score = score
            self.tokens = tokens
        }
    }

    package struct Result: Codable, Hashable, Sendable {
        /// The packed context as markdown, best first: what an agent puts in its prompt.
        package var context: String
        package var checkpoints: [CheckpointEntry]
        package var patterns: [PatternEntry]
        package var decisions: [DecisionEntry]
        /// Estimated tokens of `context` (one per four UTF-8 bytes); never more than `tokenBudget`.
        package var tokensUsed: Int
        package var tokenBudget: Int
        package var mode: WireSearchMode
        package var source: WireStorage
        package init(
            context: String,
            checkpoints: [CheckpointEntry],
            patterns: [PatternEntry],
            decisions: [DecisionEntry],
            tokensUsed: Int,
            tokenBudget: Int,
            mode: WireSearchMode,
            source: WireStorage
        ) {
            self.context = context
            self.checkpoints = checkpoints
            self.patterns = patterns
            self.decisions = decisions
            self.tokensUsed = tokensUsed
            self.tokenBudget = tokenBudget
            self.mode = mode
            self.source = source
        }
    }
}
