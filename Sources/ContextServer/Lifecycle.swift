import Synchronization

/// LSP lifecycle state: `shutdown` refuses later requests, and decides `exit`'s exit code.
final class Lifecycle: Sendable {
    private let isShutdownRequestedState = Mutex(false)

    var isShutdownRequested: Bool { isShutdownRequestedState.withLock { $0 } }

    func requestShutdown() { isShutdownRequestedState.withLock { $0 = true } }
}
