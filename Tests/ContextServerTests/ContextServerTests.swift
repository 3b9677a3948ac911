import ContextCore
import ContextProtocol
import ContextServer
import ContextTesting
import JSONRPC
import Logging
import Testing

/// A server over an in-memory store.
func makeServer(logger: Logger, store: InMemoryDocumentStore = InMemoryDocumentStore()) -> ContextServer {
    var configuration = ContextServiceConfiguration()
    configuration.defaultProject = "test"
    return ContextServer(
        configuration: ServerConfiguration(),
        service: ContextService(store: store, configuration: configuration),
        logger: logger
    )
}

@Suite("ContextServer")
struct ContextServerTests {
    private func client(framing: Framing = .ndjson) -> InProcessClient {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return InProcessClient(dispatcher: makeServer(logger: logger), framing: framing)
    }

    @Test func methodTableMatchesTheCatalog() {
        let server = makeServer(logger: Logger(label: "test"))
        #expect(server.registry.requestNames == ProtocolCatalog.requests.map { $0.name }.sorted())
        #expect(server.registry.notificationNames == ProtocolCatalog.notifications.map { $0.name }.sorted())
    }

    @Test func methodTableMatchesTheOpenRPCDocument() {
        let server = makeServer(logger: Logger(label: "test"))
        let documented = Set(OpenRPCDocument.value["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        #expect(documented == Set(server.registry.requestNames + server.registry.notificationNames))
    }

    @Test func initializeReturnsServerInfoAndCapabilities() async throws {
        let response = try await client(framing: .lsp).call(
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":1,"capabilities":{},"clientInfo":{"name":"test"}}}"#
        )
        let result = try #require(response?["result"])
        #expect(result["serverInfo"]?["name"] == "memctx")
        #expect(result["serverInfo"]?["version"] == .string(ServerIdentity.version))
        let methods = result["capabilities"]?["experimental"]?["memctx"]?["methods"]?.arrayValue ?? []
        #expect(methods.contains("health") && methods.contains("rpc.discover"))
    }

    @Test func methodsWorkWithoutInitialize() async throws {
        let response = try await client().call(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        #expect(response?["result"] == .object([:]))
    }

    @Test func shutdownThenExitEndsWithZeroAndRefusesRequestsInBetween() async throws {
        let client = client(framing: .lsp)
        let shutdown = try await client.call(#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#)
        #expect(shutdown?["result"] == .null)
        #expect(shutdown?["error"] == nil)
        let refused = try await client.call(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#)
        #expect(refused?.errorCode == -32600)
        client.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        #expect(await client.exitCode() == 0)
    }

    @Test func exitWithoutShutdownEndsWithOne() async throws {
        let client = client(framing: .lsp)
        _ = try await client.call(#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
        client.send(#"{"jsonrpc":"2.0","method":"exit"}"#)
        #expect(await client.exitCode() == 1)
    }

    @Test func exitRightBehindShutdownSeesIt() async throws {
        let client = client()
        client.sendRaw(
            Array(
                (#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"# + "\n" + #"{"jsonrpc":"2.0","method":"exit"}"# + "\n")
                    .utf8
            )
        )
        #expect(await client.exitCode() == 0)
        let responses = client.inbox.drain()
        #expect(responses.count == 1)
    }

    @Test(arguments: Framing.allCases)
    func healthReportsVersionFramingUptimeAndNoBackends(framing: Framing) async throws {
        let response = try await client(framing: framing).call(#"{"jsonrpc":"2.0","id":1,"method":"health"}"#)
        let result = try #require(response?["result"])
        #expect(result["status"] == "ok")
        #expect(result["version"] == .string(ServerIdentity.version))
        #expect(result["framing"] == .string(framing.rawValue))
        #expect(result["backends"] == .object([:]))
        switch result["uptimeSeconds"] {
        case .double(let seconds)?: #expect(seconds >= 0)
        case .int(let seconds)?: #expect(seconds >= 0)
        default: Issue.record("uptimeSeconds missing")
        }
        #expect(result["startedAt"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func discoverReturnsTheOpenRPCDocument() async throws {
        let response = try await client().call(#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}"#)
        #expect(response?["result"] == OpenRPCDocument.value)
    }

    @Test func unknownParamsAreRejectedByName() async throws {
        let response = try await client().call(#"{"jsonrpc":"2.0","id":1,"method":"health","params":{"verbose":true}}"#)
        #expect(response?.errorCode == -32602)
        #expect(response?["error"]?["data"]?["field"] == "verbose")
        let meta = try await client().call(#"{"jsonrpc":"2.0","id":2,"method":"ping","params":{"_meta":{"x":1}}}"#)
        #expect(meta?["result"] == .object([:]))
    }
}
