import ContextCore

extension ChromaAPI {
    /// A metadata value as Chroma stores it: string, integer, float or Boolean (no null, no objects).
    enum MetadataValue: Encodable, Hashable {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            }
        }
    }

    /// A `where` filter on metadata: `{"project": {"$eq": "x"}}`, or `{"$and": [...]}` for two or more.
    indirect enum Where: Encodable, Hashable {
        case equals(String, MetadataValue)
        case and([Where])

        /// The conditions all hold: nil for none, the condition itself for one, `$and` for more
        /// (Chroma rejects an `$and` of fewer than two).
        static func all(_ conditions: [Where]) -> Where? {
            switch conditions.count {
            case 0: nil
            case 1: conditions[0]
            default: .and(conditions)
            }
        }

        /// The filter of a search: the project unless the scope is every project, the pattern type, the session.
        init?(_ filter: SearchFilter) {
            var conditions: [Where] = []
            if case .only(let project) = filter.scope {
                conditions.append(.equals(MetadataKey.project, .string(project)))
            }
            if let type = filter.patternType {
                conditions.append(.equals(MetadataKey.patternType, .string(type.rawValue)))
            }
            if let session = filter.sessionID {
                conditions.append(.equals(MetadataKey.sessionID, .string(session.description)))
            }
            guard let clause = Where.all(conditions) else { return nil }
            self = clause
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            switch self {
            case .equals(let key, let value):
                var condition = container.nestedContainer(keyedBy: Key.self, forKey: Key(key))
                try condition.encode(value, forKey: Key("$eq"))
            case .and(let conditions):
                try container.encode(conditions, forKey: Key("$and"))
            }
        }

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    /// The metadata keys memctx writes on every record (camelCase, like the wire names).
    enum MetadataKey {
        static let project = "project"
        static let patternType = "patternType"
        static let sessionID = "sessionId"
        static let privacyLevel = "privacyLevel"
        static let model = "model"
        /// Unix milliseconds.
        static let createdAt = "createdAt"
    }
}
