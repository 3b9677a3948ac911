package import JSONRPC

/// Asks the server to prepare to exit; later requests get -32600. See `shutdown` in protocol/openrpc.json.
package enum Shutdown: RPCMethod {
    package static let name = "shutdown"
    package typealias Params = EmptyParams
    package typealias Result = NullResult
}

/// Ends the process: exit code 0 after `shutdown`, 1 without it.
package enum Exit: RPCNotification {
    package static let name = "exit"
    package typealias Params = EmptyParams
}
