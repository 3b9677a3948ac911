import Foundation

/// JSON held as text (legacy `*_json` columns, our JSON fields): parsing, repair and a canonical form for
/// comparisons (PostgreSQL's `jsonb` gives back the same value in its own spelling).
package enum JSONText {
    package static func parse(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    package static func string(_ value: Any) -> String? {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The same value in one spelling (sorted keys, no spaces); the text itself when it is not JSON.
    package static func canonical(_ text: String?) -> String? {
        guard let text else { return nil }
        guard let value = parse(text) else { return text }
        return string(value) ?? text
    }

    /// `text` as JSON: itself when valid, else the text as a JSON string (nothing is lost; `repaired` is set).
    package static func repaired(_ text: String, repaired: inout Bool) -> String {
        if parse(text) != nil { return text }
        repaired = true
        return string(text) ?? "null"
    }
}
