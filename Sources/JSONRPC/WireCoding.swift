package import Foundation

/// The one JSON configuration of the wire: compact, sorted keys (stable output that tests can compare),
/// ISO-8601 dates, no escaped slashes.
package enum WireCoding {
    package static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatDate(date))
        }
        return encoder
    }

    package static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "must be an ISO-8601 date-time such as 2026-11-25T08:00:00Z"
                    )
                )
            }
            return date
        }
        return decoder
    }

    /// Encodes a value as compact JSON bytes.
    package static func encode(_ value: some Encodable) throws -> [UInt8] {
        if value is NullResult { return Array("null".utf8) }
        if value is EmptyResult { return Array("{}".utf8) }
        return Array(try sharedEncoder.encode(value))
    }

    /// Decodes params; the error names the offending field (`tags[0]`, `limit`) and why.
    package static func decodeParams<Params: Decodable>(
        _ type: Params.Type,
        from raw: RawJSON?
    ) throws(JSONRPCError) -> Params {
        var bytes = raw?.bytes ?? ArraySlice("{}".utf8)
        if bytes.first == UInt8(ascii: "[") {
            // By-position params: only the empty list is meaningful for our by-name methods.
            let isEmptyList =
                bytes.dropFirst().first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 })
                == UInt8(ascii: "]")
            guard isEmptyList else {
                throw JSONRPCError.invalidParams(field: "", reason: "params must be an object with named fields")
            }
            bytes = ArraySlice("{}".utf8)
        }
        // The scanner already validated the JSON and that params is an object or array: nothing to decode.
        if let empty = EmptyParams() as? Params { return empty }
        do {
            return try sharedDecoder.decode(Params.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw describe(error)
        } catch let error as JSONRPCError {
            throw error
        } catch {
            throw JSONRPCError.invalidParams(field: "", reason: "\(error)")
        }
    }

    private static let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    // Parsing only; formatting is done by hand above.
    private static let withoutFraction = Date.ISO8601FormatStyle()

    /// `2026-11-25T08:00:00.123Z`: UTC, milliseconds (rounded, as the stores keep them).
    package static func formatDate(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let wholeSeconds = fraction < 0 ? seconds - 1 : seconds
        var time = time_t(wholeSeconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(fraction < 0 ? fraction + 1000 : fraction)
        )
    }

    /// An ISO-8601 date-time with or without fractional seconds, `Z` or an offset.
    package static func parseDate(_ text: String) -> Date? {
        (try? withFraction.parse(text)) ?? (try? withoutFraction.parse(text))
    }

    private static let sharedEncoder = makeEncoder()
    private static let sharedDecoder = makeDecoder()

    /// A JSON path for a coding path: `tags[0].name`.
    package static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return path
    }

    private static func describe(_ error: DecodingError) -> JSONRPCError {
        switch error {
        case .keyNotFound(let key, let context):
            return .invalidParams(field: path(context.codingPath + [key]), reason: "is required")
        case .typeMismatch(let type, let context):
            return .invalidParams(field: path(context.codingPath), reason: "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return .invalidParams(field: path(context.codingPath), reason: "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            let reason = context.debugDescription.isEmpty ? "is invalid" : context.debugDescription
            return .invalidParams(field: path(context.codingPath), reason: reason)
        @unknown default:
            return .invalidParams(field: "", reason: "are invalid")
        }
    }

    /// "a string", "an integer", … for a Swift type in an error message.
    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "a boolean"
        case is Date.Type: "an ISO-8601 date-time string"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
