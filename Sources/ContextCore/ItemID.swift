package import Foundation

/// The id of a stored item: a UUID, generated as UUIDv7 (time-ordered) unless the client supplies one.
package struct ItemID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    package let uuid: UUID

    package init(_ uuid: UUID) { self.uuid = uuid }

    /// Parses the canonical textual form (any case); nil if it is not a UUID.
    package init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }

    /// A new UUIDv7 for `date`: 48-bit Unix milliseconds, version 7, random rest (RFC 9562).
    package static func make(at date: Date, using generator: inout some RandomNumberGenerator) -> ItemID {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let uuid = UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
        return ItemID(uuid)
    }

    /// Lower-case canonical text, the form stored and sent on the wire.
    package var description: String { uuid.uuidString.lowercased() }

    package static func < (lhs: ItemID, rhs: ItemID) -> Bool { lhs.description < rhs.description }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ItemID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "must be a UUID"))
        }
        self = id
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
