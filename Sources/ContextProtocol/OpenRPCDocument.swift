import Foundation
package import JSONRPC

/// protocol/openrpc.json, built into the binary at compile time (see Plugins/EmbedOpenRPC).
package enum OpenRPCDocument {
    /// The document's text exactly as in the repository.
    package static var text: String { embeddedOpenRPCDocument }

    /// The document as a JSON value (parsed once).
    package static let value: JSONValue = {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(embeddedOpenRPCDocument.utf8))
        } catch {
            // The build embeds the file a test validates; reaching this is a packaging bug.
            preconditionFailure("protocol/openrpc.json embedded in the binary is not valid JSON: \(error)")
        }
    }()
}
