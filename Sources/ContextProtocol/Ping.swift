package import JSONRPC

/// Answers `{}` at once: a liveness check, and the trivial method of the RPC benchmark.
package enum Ping: RPCMethod {
    package static let name = "ping"
    package typealias Params = EmptyParams
    package typealias Result = EmptyResult
}
