import JSONRPC
import Synchronization

/// Methods used to exercise the connection: echo, sleep (cancellable), failures, typed params.
enum Echo: RPCMethod {
    static let name = "echo"
    struct Params: Codable, Sendable { var value: JSONValue? }
    typealias Result = JSONValue
}

enum Sleep: RPCMethod {
    static let name = "sleep"
    struct Params: Codable, Sendable { var milliseconds: Int }
    typealias Result = EmptyResult
}

enum Crash: RPCMethod {
    static let name = "crash"
    typealias Params = EmptyParams
    typealias Result = EmptyResult
}

enum Typed: RPCMethod {
    static let name = "typed"
    struct Params: Codable, Sendable {
        var count: Int
        var tags: [String]?
        var nested: Nested?
        struct Nested: Codable, Sendable { var flag: Bool }
    }
    typealias Result = EmptyResult
}

enum Note: RPCNotification {
    static let name = "note"
    typealias Params = EmptyParams
}

/// Counts how many `sleep` calls run at once.
final class ConcurrencyProbe: Sendable {
    private let state = Mutex((current: 0, maximum: 0, notes: 0))
    var maximum: Int { state.withLock { $0.maximum } }
    var notes: Int { state.withLock { $0.notes } }
    func enter() {
        state.withLock {
            $0.current += 1; $0.maximum = max($0.maximum, $0.current)
        }
    }
    func leave() { state.withLock { $0.current -= 1 } }
    func noted() { state.withLock { $0.notes += 1 } }
}

struct UnexpectedFailure: Error {}

func makeTestRegistry(probe: ConcurrencyProbe = ConcurrencyProbe()) -> MethodRegistry {
    var registry = MethodRegistry()
    registry.register(Echo.self) { params, _ in params.value ?? .null }
    registry.register(Sleep.self) { params, _ in
        probe.enter()
        defer { probe.leave() }
        try await Task.sleep(for: .milliseconds(params.milliseconds))
        return EmptyResult()
    }
    registry.register(Crash.self) { _, _ in throw UnexpectedFailure() }
    registry.register(Typed.self) { _, _ in EmptyResult() }
    registry.register(Note.self) { _, _ in probe.noted() }
    registry.register(CancelNotification.self) { params, context in context.connection.cancelRequest(params.id, silently: false) }
    registry.register(SilentCancelNotification.self) { params, context in
        context.connection.cancelRequest(params.requestId, silently: true)
    }
    return registry
}

/// MCP's cancellation: the request stops and is not answered.
enum SilentCancelNotification: RPCNotification {
    static let name = "notifications/cancelled"
    struct Params: Codable, Sendable { var requestId: RequestID }
}

enum CancelNotification: RPCNotification {
    static let name = "$/cancelRequest"
    struct Params: Codable, Sendable { var id: RequestID }
}
