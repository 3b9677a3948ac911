package import JSONRPC


/// Pushes every change waiting in the local outbox to the central repository now. See `sync`.
package enum Sync: RPCMethod {
    package static let name = "sync"
    package typealias Params = EmptyParams

    package struct Result: Codable, Hashable, Sendable {
        /// Whether a central repository is configured at all.
        package var central: Bool
        /// Whether it could be reached (after probing it again).
        package var online: Bool
        /// Changes pushed by this call.
        package var pushed: Int
        /// Changes that could not be pushed (kept for the next try).
        package var failed: Int
        /// Changes still waiting.
        package var pending: Int
        /// Why something is left, when it is.
        package var detail: String?

        package init(central: Bool, online: Bool, pushed: Int, failed: Int, pending: Int, detail: String?) {
            self.central = central
            self.online = online
            self.pushed = pushed
            self.failed = failed
            self.pending = pending
            self.detail = detail
        }
    }
}
