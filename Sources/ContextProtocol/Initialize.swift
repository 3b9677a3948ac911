package import JSONRPC

/// Starts an LSP-style session. Optional: scripts may call methods without it. See `initialize` in
/// protocol/openrpc.json.
package enum Initialize: RPCMethod {
    package static let name = "initialize"

    package struct Params: Codable, Hashable, Sendable {
        /// The client's process id, if it has one (LSP).
        package var processId: Int?
        /// Name and version of the client.
        package var clientInfo: ClientInfo?
        /// What the client supports; memctx reads nothing from it yet.
        package var capabilities: JSONValue?
        /// Opaque options for the server; ignored.
        package var initializationOptions: JSONValue?
        /// `off`, `messages` or `verbose` (LSP); ignored.
        package var trace: String?
        /// The client's locale (LSP); ignored.
        package var locale: String?

        package init(processId: Int? = nil, clientInfo: ClientInfo? = nil, capabilities: JSONValue? = nil) {
            self.processId = processId
            self.clientInfo = clientInfo
            self.capabilities = capabilities
        }
    }

    package struct ClientInfo: Codable, Hashable, Sendable {
        package var name: String
        package var version: String?
        package init(name: String, version: String? = nil) {
            self.name = name
            self.version = version
        }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var capabilities: ServerCapabilities
        package var serverInfo: ServerInfo
        package init(capabilities: ServerCapabilities, serverInfo: ServerInfo) {
            self.capabilities = capabilities
            self.serverInfo = serverInfo
        }
    }

    package struct ServerInfo: Codable, Hashable, Sendable {
        package var name: String
        package var version: String
        package init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    /// memctx offers no language features; what it offers is listed under `experimental.memctx`.
    package struct ServerCapabilities: Codable, Hashable, Sendable {
        package var experimental: Experimental
        package init(experimental: Experimental) { self.experimental = experimental }

        package struct Experimental: Codable, Hashable, Sendable {
            package var memctx: MemctxCapabilities
            package init(memctx: MemctxCapabilities) { self.memctx = memctx }
        }

        package struct MemctxCapabilities: Codable, Hashable, Sendable {
            /// Every request method the server answers, sorted.
            package var methods: [String]
            /// Framings the server reads and writes.
            package var framings: [String]
            package init(methods: [String], framings: [String]) {
                self.methods = methods
                self.framings = framings
            }
        }
    }
}

/// Sent by the client after `initialize`; nothing to do.
package enum Initialized: RPCNotification {
    package static let name = "initialized"
    package typealias Params = EmptyParams
}
