import Dispatch
import Foundation

/// Timing and the one-line report every `memctx bench` figure uses.
enum BenchmarkFigures {
    /// How long one run of `body` takes, in nanoseconds.
    static func elapsed(_ body: () async throws -> Void) async rethrows -> UInt64 {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        return DispatchTime.now().uptimeNanoseconds - start
    }

    /// Runs `body` `count` times and returns each run's duration in nanoseconds.
    static func measure(_ count: Int, _ body: () async throws -> Void) async rethrows -> [UInt64] {
        var samples: [UInt64] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            try await body()
            samples.append(DispatchTime.now().uptimeNanoseconds - start)
        }
        return samples
    }

    /// `label` padded to 70 columns, then p50, p95 and p99 in milliseconds.
    static func line(_ label: String, _ samples: [UInt64]) -> String {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return label + ": no samples" }
        func at(_ fraction: Double) -> Double {
            Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1e6
        }
        return label.padding(toLength: 70, withPad: " ", startingAt: 0)
            + String(format: "p50 %.3f ms   p95 %.3f ms   p99 %.3f ms", at(0.5), at(0.95), at(0.99))
    }
}
