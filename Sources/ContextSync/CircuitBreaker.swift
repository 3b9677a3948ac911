import Foundation
package import Logging
import Synchronization

/// Whether one central service (PostgreSQL or ChromaDB) is worth calling.
///
/// Closed: calls go through. After a failure that says the service cannot be reached, it opens for a delay
/// that doubles with each failure in a row (0.5 s up to 30 s); while open, callers use the local database
/// without waiting for a timeout. When the delay has passed, the replicator's background task probes the
/// service (half-open); a success closes it. Going offline and coming back are logged once each.
package final class CircuitBreaker: Sendable {
    package let name: String
    private let logger: Logger
    private let state = Mutex(State())
    private let firstDelay: Duration
    private let longestDelay: Duration

    private struct State {
        var failures = 0
        var openUntil: ContinuousClock.Instant?
        var lastError: String?
    }

    package init(name: String, logger: Logger, firstDelay: Duration = .milliseconds(500), longestDelay: Duration = .seconds(30)) {
        self.name = name
        self.logger = logger
        self.firstDelay = firstDelay
        self.longestDelay = longestDelay
    }

    /// Calls go through.
    package var isClosed: Bool { state.withLock { $0.openUntil == nil } }

    /// Open, and its delay has passed: time for a probe.
    package var isDueForProbe: Bool {
        state.withLock { state in state.openUntil.map { ContinuousClock.now >= $0 } ?? false }
    }

    /// The last failure's message, while open.
    package var lastError: String? { state.withLock { $0.openUntil == nil ? nil : $0.lastError } }

    package func succeeded() {
        let reopened = state.withLock { state -> Bool in
            defer {
                state.failures = 0
                state.openUntil = nil
            }
            return state.openUntil != nil
        }
        if reopened { logger.notice("\(name) is reachable again: syncing the local changes") }
    }

    package func failed(_ message: String) {
        let wentOffline = state.withLock { state -> Bool in
            let wasClosed = state.openUntil == nil
            state.failures += 1
            let doublings = min(state.failures - 1, 16)
            let delay = min(longestDelay, firstDelay * (1 << doublings))
            state.openUntil = ContinuousClock.now + delay
            state.lastError = message
            return wasClosed
        }
        if wentOffline {
            logger.warning("\(name) cannot be reached (\(message)): answering from the local database until it is back")
        }
    }
}
