import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress on stderr for long commands: a bar redrawn in place on a terminal, a line every few seconds
/// otherwise (logs, CI). Shows items done, the total, the rate and the time left.
final class ProgressBar: Sendable {
    private struct State {
        var stage = ""
        var stageStart = ContinuousClock.now
        var lastDraw = ContinuousClock.now - .seconds(60)
        var drawn = false
    }

    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let state = Mutex(State())

    init(label: String) { self.label = label }

    func update(_ stage: String, done: Int, total: Int) {
        state.withLock { state in
            let now = ContinuousClock.now
            if stage != state.stage {
                if state.drawn, isTerminal { write("\n") }
                state = State(stage: stage, stageStart: now)
            }
            let interval: Duration = isTerminal ? .milliseconds(100) : .seconds(5)
            guard now - state.lastDraw >= interval || done >= total else { return }
            state.lastDraw = now
            state.drawn = true
            let elapsed = Double((now - state.stageStart).components.attoseconds) / 1e18 + Double((now - state.stageStart).components.seconds)
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            let left = rate > 0 ? Double(max(0, total - done)) / rate : 0
            let share = total > 0 ? Double(done) / Double(total) : 1
            let width = 24
            let filled = Int((share * Double(width)).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            let percent = String(format: "%3.0f%%", share * 100)
            let line = "\(label): \(stage) [\(bar)] \(done)/\(total) \(percent)  \(Int(rate.rounded())) items/s  ETA \(Self.duration(left))"
            write(isTerminal ? "\r" + line : line + "\n")
        }
    }

    func finish() {
        state.withLock { state in
            if state.drawn, isTerminal { write("\n") }
            state.drawn = false
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    private static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 60 ? "\(total / 60)m\(String(format: "%02d", total % 60))s" : "\(total)s"
    }
}
