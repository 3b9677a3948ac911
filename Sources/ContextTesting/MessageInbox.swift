package import JSONRPC
import Synchronization

/// Receives what a server writes, frames it, and hands out complete messages to a test with bounded waits.
package final class MessageInbox: MessageOutput {
    private struct State {
        var framer: any MessageFramer
        var messages: [[UInt8]] = []
        var waiter: CheckedContinuation<[UInt8]?, Never>?
        var waiterToken = 0
        var writes = 0
    }

    private let state: Mutex<State>

    package init(framing: Framing) {
        let framer: any MessageFramer =
            switch framing {
            case .lsp: ContentLengthFramer(maximumMessageSize: Int.max)
            case .ndjson: NewlineFramer(maximumMessageSize: Int.max)
            }
        state = Mutex(State(framer: framer))
    }

    /// Number of `write` calls so far (each must hold whole messages).
    package var writeCount: Int { state.withLock { $0.writes } }

    package func write(_ bytes: [UInt8]) {
        let resume = state.withLock { state -> (CheckedContinuation<[UInt8]?, Never>, [UInt8])? in
            state.writes += 1
            state.framer.append(bytes)
            while let event = state.framer.next() {
                if case .message(let message) = event { state.messages.append(message) }
            }
            guard let waiter = state.waiter, !state.messages.isEmpty else { return nil }
            state.waiter = nil
            return (waiter, state.messages.removeFirst())
        }
        if let (waiter, message) = resume { waiter.resume(returning: message) }
    }

    /// The next message's bytes, or nil if none arrives within `timeout`.
    package func next(timeout: Duration = .seconds(10)) async -> [UInt8]? {
        let immediate = state.withLock { state -> [UInt8]? in
            state.messages.isEmpty ? nil : state.messages.removeFirst()
        }
        if let immediate { return immediate }
        let token = state.withLock { state -> Int in
            state.waiterToken += 1
            return state.waiterToken
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            let waiter = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
                guard state.waiterToken == token else { return nil }
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let message = state.withLock { state -> [UInt8]? in
                if !state.messages.isEmpty { return state.messages.removeFirst() }
                state.waiter = continuation
                return nil
            }
            if let message { continuation.resume(returning: message) }
        }
    }

    /// Messages already received, without waiting.
    package func drain() -> [[UInt8]] {
        state.withLock { state in
            defer { state.messages.removeAll() }
            return state.messages
        }
    }
}
