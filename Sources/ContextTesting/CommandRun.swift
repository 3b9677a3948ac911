#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One run of the built `memctx` binary as a command (not a server): its exit status and both outputs.
package struct CommandRun: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String

    /// Runs `memctx ARGUMENTS` with `stdin` written and closed, in an environment of the test process plus
    /// `environment`; waits for the exit. stderr is read on its own thread so neither pipe can fill up.
    package static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]) throws -> CommandRun {
        let process = Process()
        process.executableURL = try ServerProcess.binaryURL()
        process.arguments = arguments
        process.environment = ChildEnvironment.make(environment)
        let output = Pipe()
        let error = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = input
        try process.run()
        let stderrBox = ErrorOutput()
        let reader = Thread { stderrBox.set(error.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        // A child that exits before reading all of stdin must not take the test process down with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        if let stdin { try? input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandRun(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderrBox.wait(), as: UTF8.self)
        )
    }
}

/// stderr's bytes, handed from the reading thread.
private final class ErrorOutput: @unchecked Sendable {
    // @unchecked: `data` is written once under `condition` and read only after `done` is set.
    private let condition = NSCondition()
    private var data = Data()
    private var done = false

    func set(_ value: Data) {
        condition.lock()
        data = value
        done = true
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        while !done { condition.wait() }
        let value = data
        condition.unlock()
        return value
    }
}

/// Runs blocking work (a child process, a pipe read) on a thread of its own and waits for it without
/// holding one of the concurrency pool's threads: on 2 cores, two tests blocked in the pool stall every
/// other test of the process.
package func offThePool<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
