package import JSONRPC

/// Saves a pattern, merging into a similar one of the same type and project. See `savePattern`.
package enum SavePattern: RPCMethod {
    package static let name = "savePattern"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        package var name: String
        package var patternType: WirePatternType
        package var description: String?
        package var template: String?
        package var patternJson: JSONValue?
        package var project: String?
        package var id: String?
        package var confidence: Double?
        package var qualityScore: Double?
        package var successRate: Double?
        package var sourceSessionId: String?
        package var tags: [String]?
        package var privacyLevel: WirePrivacyLevel?
        package enum CodingKeys: String, CodingKey, CaseIterable {
            case name, patternType, description, template, patternJson, project, id, confidence, qualityScore,
                successRate, sourceSessionId, tags, privacyLevel
        }
    }

    package enum Action: String, WireEnum { case created, merged }

    package struct Result: Codable, Hashable, Sendable {
        package var pattern: WirePattern
        package var action: Action
        /// For `merged`: the similarity (0…1) to the pattern merged into.
        package var similarity: Double?
        package var stored: WireStorage
        package init(pattern: WirePattern, action: Action, similarity: Double?, stored: WireStorage) {
            self.pattern = pattern
            self.action = action
            self.similarity = similarity
            self.stored = stored
        }
    }
}
