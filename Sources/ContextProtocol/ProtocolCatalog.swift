package import JSONRPC

/// Every method and notification of the protocol, for checks that the method table, this list and
/// protocol/openrpc.json agree.
package enum ProtocolCatalog {
    package static let requests: [any RPCMethod.Type] = [
        CreateSession.self,
        DeleteSession.self,
        Discover.self,
        ExportRecords.self,
        GetCheckpoint.self,
        GetPattern.self,
        GetSession.self,
        Health.self,
        ImportRecords.self,
        Initialize.self,
        ListCheckpoints.self,
        ListPatterns.self,
        ListSessions.self,
        LoadContext.self,
        Ping.self,
        SaveCheckpoint.self,
        SavePattern.self,
        Search.self,
        SearchCheckpoints.self,
        SearchPatterns.self,
        SearchSessions.self,
        Shutdown.self,
        Stats.self,
        Sync.self,
        UpdateSession.self,
    ]

    package static let notifications: [any RPCNotification.Type] = [
        CancelRequest.self,
        Exit.self,
        Initialized.self,
    ]
}
