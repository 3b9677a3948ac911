package import Foundation
package import JSONRPC

/// The built `memctx` binary, spawned with pipes, for end-to-end tests that talk to it like a client.
package final class ServerProcess: @unchecked Sendable {  // Process and Pipe are thread-safe for this use.
    package let process = Process()
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    package let framing: Framing
    private var framer: any MessageFramer
    private var stderrData = Data()
    private let stderrLock = NSLock()

    /// Finds the binary: `MEMCTX_BINARY`, else next to the test bundle in the build folder.
    package static func binaryURL() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["MEMCTX_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("memctx")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        for configuration in ["debug", "release"] {
            let candidate = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                .appendingPathComponent(".build/\(configuration)/memctx")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ServerProcessError("memctx binary not found: run `swift build` first or set MEMCTX_BINARY")
    }

    /// Starts the binary. It is killed after `timeout` if still running, so a hung test fails instead of hanging.
    package init(
        arguments: [String] = [],
        framing: Framing,
        environment: [String: String] = [:],
        timeout: TimeInterval = 120
    ) throws {
        self.framing = framing
        switch framing {
        case .lsp: framer = ContentLengthFramer(maximumMessageSize: Int.max)
        case .ndjson: framer = NewlineFramer(maximumMessageSize: Int.max)
        }
        process.executableURL = try Self.binaryURL()
        process.arguments = arguments
        // Each server gets its own empty data folder unless the test names one.
        let defaults = ["MEMCTX_HOME": Self.makeTemporaryHome(), "MEMCTX_PROJECT": "e2e"]
        process.environment = ChildEnvironment.make(defaults.merging(environment) { _, new in new })
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.stderrLock.lock()
            self.stderrData.append(data)
            self.stderrLock.unlock()
        }
        try process.run()
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [process] in
            if process.isRunning { process.terminate() }
        }
    }

    /// A new empty folder under the temporary directory.
    package static func makeTemporaryHome() -> String {
        let path = NSTemporaryDirectory() + "memctx-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes raw bytes to the server's stdin.
    package func writeRaw(_ bytes: [UInt8]) throws {
        try stdinPipe.fileHandleForWriting.write(contentsOf: Data(bytes))
    }

    /// Writes one message in this connection's framing.
    package func send(_ json: String) throws {
        try writeRaw(framing.frame(Array(json.utf8)))
    }

    /// Closes stdin (EOF for the server).
    package func closeInput() throws {
        try stdinPipe.fileHandleForWriting.close()
    }

    /// Reads the next framed message from stdout; nil at EOF. Blocking: tests call it with the server
    /// known to answer, and `waitForExit` bounds the whole exchange.
    package func nextRaw() throws -> [UInt8]? {
        while true {
            if let event = framer.next() {
                switch event {
                case .message(let bytes): return bytes
                case .error(let error): throw ServerProcessError("bad frame on stdout: \(error)")
                }
            }
            let data = stdoutPipe.fileHandleForReading.availableData
            if data.isEmpty { return nil }
            framer.append(Array(data))
        }
    }

    /// The next message parsed; nil at EOF.
    package func next() throws -> JSONValue? {
        guard let bytes = try nextRaw() else { return nil }
        return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// Everything left on stdout until EOF, raw.
    package func readRemainingStdout() -> [UInt8] {
        Array(stdoutPipe.fileHandleForReading.readDataToEndOfFile())
    }

    /// Waits for the process to end, killing it after `timeout`; returns its exit status.
    package func waitForExit(timeout: TimeInterval = 30) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(2_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return -1
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// What the server wrote to stderr so far.
    package var standardError: String {
        stderrLock.lock()
        defer { stderrLock.unlock() }
        return String(decoding: stderrData, as: UTF8.self)
    }

    /// Peak resident memory of the running server in KiB (VmHWM), from /proc.
    package func peakResidentKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    deinit {
        if process.isRunning { process.terminate() }
        stderrPipe.fileHandleForReading.readabilityHandler = nil
    }
}

package struct ServerProcessError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
