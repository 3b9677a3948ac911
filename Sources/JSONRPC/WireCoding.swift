package import Foundation

/// The one JSON configuration of the wire: compact, sorted keys (stable output that tests can compare),
/// ISO-8601 dates, no escaped slashes.
package enum WireCoding {
    package static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    package static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
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
