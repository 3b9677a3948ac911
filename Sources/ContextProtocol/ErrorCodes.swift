package import JSONRPC

/// memctx's own error codes, in JSON-RPC's server range. Listed in protocol/openrpc.json
/// (`components.errors`) and protocol/README.md.
extension JSONRPCErrorCode {
    /// No item with that id (in the project scope of the call).
    package static let notFound = JSONRPCErrorCode(rawValue: -32001)
    /// The call contradicts what is stored (e.g. an id reused for different content).
    package static let conflict = JSONRPCErrorCode(rawValue: -32003)
    /// A storage backend could not be reached or failed.
    package static let backendUnavailable = JSONRPCErrorCode(rawValue: -32005)
    /// The call needs something this installation lacks (semantic search without the embedding model).
    package static let featureUnavailable = JSONRPCErrorCode(rawValue: -32006)
}
