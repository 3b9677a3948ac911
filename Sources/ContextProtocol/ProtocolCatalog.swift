package import JSONRPC

/// Every method and notification of the protocol, for checks that the method table, this list and
/// protocol/openrpc.json agree.
package enum ProtocolCatalog {
    package static let requests: [any RPCMethod.Type] = [
        Discover.self,
        Health.self,
        Initialize.self,
        Ping.self,
        Shutdown.self,
    ]

    package static let notifications: [any RPCNotification.Type] = [
        CancelRequest.self,
        Exit.self,
        Initialized.self,
    ]
}
