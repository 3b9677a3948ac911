import Dispatch
import Synchronization

/// Runs jobs one at a time on a serial queue, short ones first: a search's query (a few words) does not wait
/// behind the checkpoints queued before it (a full 256-token pass each, about ten times the work).
///
/// Among short jobs and among long ones the order is first in, first out. So that a stream of short jobs
/// cannot hold a long one back for ever, at most `shortStreak` short jobs run in a row while a long one waits.
final class ShortFirstQueue: Sendable {
    enum Length: Sendable {
        case short
        case long
    }

    /// Short jobs run in a row at most while a long one waits.
    static let shortStreak = 4

    private struct Waiting {
        var short: [@Sendable () -> Void] = []
        var long: [@Sendable () -> Void] = []
        /// Short jobs run since a long one last ran or began to wait.
        var streak = 0
    }

    private let queue: DispatchQueue
    private let waiting = Mutex(Waiting())

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    /// Queues `job`; it runs on the queue, after every job it is behind by the rule above.
    func submit(_ length: Length, _ job: @escaping @Sendable () -> Void) {
        waiting.withLock { waiting in
            switch length {
            case .short: waiting.short.append(job)
            case .long:
                if waiting.long.isEmpty { waiting.streak = 0 }
                waiting.long.append(job)
            }
        }
        // One run for each job submitted: every run finds at least one job waiting.
        queue.async { self.runNext() }
    }

    private func runNext() {
        let job = waiting.withLock { waiting -> (@Sendable () -> Void)? in
            if !waiting.short.isEmpty, waiting.long.isEmpty || waiting.streak < Self.shortStreak {
                waiting.streak += 1
                return waiting.short.removeFirst()
            }
            waiting.streak = 0
            return waiting.long.isEmpty ? nil : waiting.long.removeFirst()
        }
        job?()
    }
}
