import ContextCore
import Foundation
import Synchronization

/// Runs `operation` but gives up waiting after `timeout`: a hung server (a stopped process, a black-holed
/// route) must not hold a request longer than that. The operation itself keeps running in the background
/// until it ends on its own (its own timeouts, or the server coming back); its result is then dropped.
package func withDeadline<Value: Sendable>(
    _ timeout: Duration,
    what: String,
    _ operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let gate = Gate(continuation)
        let timer = Task {
            try await Task.sleep(for: timeout)
            gate.finish(.failure(ContextError(.backendUnavailable, "\(what) did not answer within \(timeout.formattedSeconds)")))
        }
        Task {
            do { gate.finish(.success(try await operation())) } catch { gate.finish(.failure(error)) }
            timer.cancel()
        }
    }
}

/// Resumes a continuation once, with whichever result comes first.
private final class Gate<Value: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<Value, any Error>?>

    init(_ continuation: CheckedContinuation<Value, any Error>) { self.continuation = Mutex(continuation) }

    func finish(_ result: Result<Value, any Error>) {
        continuation.withLock { pending in
            pending?.resume(with: result)
            pending = nil
        }
    }
}

extension Duration {
    /// "1.5 s".
    var formattedSeconds: String {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return String(format: "%.1f s", seconds)
    }
}
