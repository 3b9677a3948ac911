package import JSONRPC

/// Returns protocol/openrpc.json, the machine-readable description of this API. See `rpc.discover`.
package enum Discover: RPCMethod {
    package static let name = "rpc.discover"
    package typealias Params = EmptyParams
    /// The OpenRPC document, as shipped in protocol/openrpc.json.
    package typealias Result = JSONValue
}
