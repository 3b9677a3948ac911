import Dispatch
import Synchronization
import Testing

@testable import SentenceEmbedding

@Suite("short texts first on the embedding queue")
struct ShortFirstQueueTests {
    /// Runs `submissions` while the queue is busy with a long job, then lets it go; returns the order the jobs
    /// ran in (the busy job is "busy").
    private func order(of submissions: [(String, ShortFirstQueue.Length)]) -> [String] {
        let queue = ShortFirstQueue(label: "test.short-first")
        let ran = Mutex<[String]>([])
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        queue.submit(.long) {
            started.signal()
            release.wait()
            ran.withLock { $0.append("busy") }
            done.leave()
        }
        started.wait()
        for (name, length) in submissions {
            done.enter()
            queue.submit(length) {
                ran.withLock { $0.append(name) }
                done.leave()
            }
        }
        release.signal()
        done.wait()
        return ran.withLock { $0 }
    }

    @Test func shortJobsGoAheadOfLongOnesInTheirOwnOrder() {
        let ran = order(of: [("L1", .long), ("S1", .short), ("L2", .long), ("S2", .short)])
        #expect(ran == ["busy", "S1", "S2", "L1", "L2"])
    }

    @Test func aLongJobRunsAfterAtMostAStreakOfShortOnes() {
        #expect(ShortFirstQueue.shortStreak == 4)
        let submissions: [(String, ShortFirstQueue.Length)] =
            [("L1", .long), ("L2", .long)] + (1...10).map { ("S\($0)", .short) }
        let ran = order(of: submissions)
        #expect(ran == ["busy", "S1", "S2", "S3", "S4", "L1", "S5", "S6", "S7", "S8", "L2", "S9", "S10"])
    }

    @Test func withoutLongWorkShortJobsRunInOrder() {
        let ran = order(of: (1...6).map { ("S\($0)", .short) })
        #expect(ran == ["busy"] + (1...6).map { "S\($0)" })
    }
}
