import Dispatch
import Foundation
import JSONRPC

#if canImport(Glibc)
    import Glibc
#endif

/// Drives a memctx child process over pipes and measures the JSON-RPC core (see `memctx bench rpc`).
struct RPCBenchmark {
    struct Latency: Codable {
        var count: Int
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var meanMilliseconds: Double
        var maxMilliseconds: Double

        init(nanoseconds: [UInt64]) {
            let sorted = nanoseconds.sorted()
            func at(_ fraction: Double) -> Double {
                Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]) / 1e6
            }
            count = sorted.count
            p50Milliseconds = at(0.50)
            p99Milliseconds = at(0.99)
            meanMilliseconds = Double(sorted.reduce(0, +)) / Double(max(1, sorted.count)) / 1e6
            maxMilliseconds = Double(sorted.last ?? 0) / 1e6
        }
    }

    struct Throughput: Codable {
        var requests: Int
        var seconds: Double
        var requestsPerSecond: Double
    }

    struct Report: Codable {
        var binary: String
        var pingPong: [String: Latency] = [:]
        var pipelined: [String: Throughput] = [:]
        var startup: Latency?
        /// Start to the answer of an MCP `initialize` (2025-11-25) and of `server/discover` (2026-07-28).
        var startupMCPInitialize: Latency?
        var startupMCPDiscover: Latency?

        var table: String {
            func fixed(_ value: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", value) }
            var lines = ["memctx bench rpc — \(binary)", ""]
            lines.append("ping-pong (one request at a time)        p50 ms    p99 ms   mean ms")
            for (framing, latency) in pingPong.sorted(by: { $0.key < $1.key }) {
                lines.append(
                    "  \(framing.padding(toLength: 38, withPad: " ", startingAt: 0))"
                        + "\(fixed(latency.p50Milliseconds))     \(fixed(latency.p99Milliseconds))     "
                        + "\(fixed(latency.meanMilliseconds))"
                )
            }
            lines.append("")
            lines.append("pipelined                               requests/s   requests   seconds")
            for (framing, throughput) in pipelined.sorted(by: { $0.key < $1.key }) {
                lines.append(
                    "  \(framing.padding(toLength: 38, withPad: " ", startingAt: 0))"
                        + "\(fixed(throughput.requestsPerSecond, 0))     \(throughput.requests)    "
                        + "\(fixed(throughput.seconds))"
                )
            }
            if let startup {
                lines.append("")
                lines.append(
                    "process start to first response (\(startup.count) starts): p50 \(fixed(startup.p50Milliseconds)) ms,"
                        + " p99 \(fixed(startup.p99Milliseconds)) ms, max \(fixed(startup.maxMilliseconds)) ms"
                )
            }
            for (name, latency) in [("MCP initialize", startupMCPInitialize), ("MCP server/discover", startupMCPDiscover)] {
                guard let latency else { continue }
                lines.append(
                    "process start to the \(name) answer (\(latency.count) starts): p50 \(fixed(latency.p50Milliseconds)) ms,"
                        + " p99 \(fixed(latency.p99Milliseconds)) ms, max \(fixed(latency.maxMilliseconds)) ms"
                )
            }
            return lines.joined(separator: "\n")
        }
    }

    let executable: String

    /// One `ping` at a time: write, wait for the whole response, repeat.
    mutating func pingPong(framing: Framing, roundTrips: Int) throws -> Latency {
        let child = try Child(executable: executable, framing: framing)
        defer { child.finish() }
        var reader = ResponseReader(descriptor: child.output, framing: framing)
        var samples: [UInt64] = []
        samples.reserveCapacity(roundTrips)
        let warmUp = min(1000, roundTrips / 10)
        for index in 0..<(warmUp + roundTrips) {
            let request = framing.frame(Self.ping(id: index))
            let start = DispatchTime.now().uptimeNanoseconds
            try child.write(request)
            try reader.awaitResponses(1)
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            if index >= warmUp { samples.append(elapsed) }
        }
        return Latency(nanoseconds: samples)
    }

    /// A writer thread streams `requests` pings while this thread counts the responses.
    mutating func pipelined(framing: Framing, requests: Int) throws -> Throughput {
        let child = try Child(executable: executable, framing: framing)
        defer { child.finish() }
        var reader = ResponseReader(descriptor: child.output, framing: framing)
        // Warm up the child before timing.
        try child.write(framing.frame(Self.ping(id: -1)))
        try reader.awaitResponses(1)

        var batches: [[UInt8]] = []
        var batch: [UInt8] = []
        for index in 0..<requests {
            framing.frame(Self.ping(id: index), into: &batch)
            if batch.count >= 64 * 1024 {
                batches.append(batch)
                batch = []
            }
        }
        if !batch.isEmpty { batches.append(batch) }

        let start = DispatchTime.now().uptimeNanoseconds
        let writer = Thread { [batches] in
            for batch in batches { try? child.write(batch) }
        }
        writer.start()
        try reader.awaitResponses(requests)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Throughput(requests: requests, seconds: seconds, requestsPerSecond: Double(requests) / seconds)
    }

    static let mcpInitialize =
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#
    static let mcpDiscover =
        #"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#

    /// Process start (spawn) to the first response of `request` (default: `health`) written right away.
    mutating func startup(count: Int, request: String = #"{"jsonrpc":"2.0","id":1,"method":"health"}"#) throws -> Latency {
        var samples: [UInt64] = []
        for _ in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            let child = try Child(executable: executable, framing: .ndjson)
            try child.write(Framing.ndjson.frame(Array(request.utf8)))
            var reader = ResponseReader(descriptor: child.output, framing: .ndjson)
            try reader.awaitResponses(1)
            samples.append(DispatchTime.now().uptimeNanoseconds - start)
            child.finish()
        }
        return Latency(nanoseconds: samples)
    }

    private static func ping(id: Int) -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"#.utf8)
    }
}

/// A `memctx serve` child process with pipes.
private final class Child: @unchecked Sendable {  // Only its immutable descriptors cross threads.
    let process = Process()
    let input: Int32
    let output: Int32
    private let inputPipe = Pipe()
    private let outputPipe = Pipe()

    init(executable: String, framing: Framing) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--framing", framing.rawValue, "--log-level", "error"]
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        try process.run()
        input = inputPipe.fileHandleForWriting.fileDescriptor
        output = outputPipe.fileHandleForReading.fileDescriptor
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(input, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw BenchmarkError("write to the server failed: errno \(errno)")
                }
                offset += written
            }
        }
    }

    func finish() {
        try? inputPipe.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// Counts complete responses read from the child's stdout, using the server's own framers.
private struct ResponseReader {
    let descriptor: Int32
    var framer: any MessageFramer
    var buffer = [UInt8](repeating: 0, count: 256 * 1024)

    init(descriptor: Int32, framing: Framing) {
        self.descriptor = descriptor
        switch framing {
        case .lsp: framer = ContentLengthFramer(maximumMessageSize: 1 << 30)
        case .ndjson: framer = NewlineFramer(maximumMessageSize: 1 << 30)
        }
    }

    mutating func awaitResponses(_ count: Int) throws {
        var seen = 0
        while seen < count {
            while seen < count, let event = framer.next() {
                guard case .message = event else { throw BenchmarkError("malformed response frame") }
                seen += 1
            }
            if seen == count { return }
            let length = buffer.count
            let descriptor = self.descriptor
            let read = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, length) }
            if read < 0, errno == EINTR { continue }
            guard read > 0 else { throw BenchmarkError("server closed its output after \(seen) of \(count) responses") }
            framer.append(buffer[0..<read])
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
