/// A string enum on the wire whose decoding error lists the accepted values.
package protocol WireEnum: RawRepresentable, CaseIterable, Codable, Hashable, Sendable where RawValue == String {}

extension WireEnum {
    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            let accepted = Self.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "must be one of \(accepted), not '\(text.prefix(40))'")
            )
        }
        self = value
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// `public` | `team` (default) | `private` | `ephemeral` (never stored).
package enum WirePrivacyLevel: String, WireEnum {
    case `public`, team, `private`, ephemeral
}

package enum WireSessionStatus: String, WireEnum {
    case active, archived, deleted
}

package enum WirePatternType: String, WireEnum {
    case workflow, decision, code, error, architecture, configuration
}

/// `hybrid` (default once the embedding model is installed), `semantic`, `lexical`.
package enum WireSearchMode: String, WireEnum {
    case hybrid, semantic, lexical
}

package enum WireItemKind: String, WireEnum {
    case session, checkpoint, pattern
}

/// Where a write went (`central`, `local`, or `none` for `ephemeral` items) or a read came from.
package enum WireStorage: String, WireEnum {
    case central, local, none
}
