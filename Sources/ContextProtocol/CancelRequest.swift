package import JSONRPC

/// Cancels an in-flight request, which is then answered with -32800. See `$/cancelRequest` in
/// protocol/openrpc.json.
package enum CancelRequest: RPCNotification {
    package static let name = "$/cancelRequest"

    package struct Params: Codable, Hashable, Sendable {
        /// The id of the request to cancel, as sent (number or string).
        package var id: RequestID
        package init(id: RequestID) { self.id = id }
    }
}
