import Foundation
package import JSONRPC

extension JSONValue {
    /// Parses JSON text (test convenience).
    package static func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// Parses JSON bytes.
    package static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// The error code of a response, if it is an error response.
    package var errorCode: Int64? {
        if case .int(let code)? = self["error"]?["code"] { return code }
        return nil
    }

    /// Members of an object value.
    package var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Elements of an array value.
    package var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }
}
