import ArgumentParser
import Foundation
import JSONRPC

/// `memctx bench …`: benchmarks that print figures (never timed tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its figures.",
        subcommands: [RPCBenchCommand.self, StoreBenchCommand.self, EmbedBenchCommand.self, CentralBenchCommand.self, SyncBenchCommand.self]
    )
}

/// `memctx bench rpc`: latency, throughput and start-up of the JSON-RPC core over real pipes.
struct RPCBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Measure ping-pong latency, pipelined throughput and start-up over real pipes.",
        discussion: """
            Spawns the memctx binary (this one unless --binary is given) as a child with pipes for stdin and
            stdout, and drives it natively: ping-pong (one `ping` at a time), pipelined (a writer thread
            streams requests while a reader counts responses) in both framings, and process start to first
            response. Use a release build: swift build -c release && .build/release/memctx bench rpc

            Example:
              .build/release/memctx bench rpc --requests 200000 --json
            """
    )

    @Option(help: "Binary to measure (default: this executable).")
    var binary: String?

    @Option(help: "Requests in each pipelined run.")
    var requests: Int = 200_000

    @Option(help: "Round trips in each ping-pong run.")
    var roundTrips: Int = 20_000

    @Option(help: "Process starts to time.")
    var starts: Int = 30

    @Flag(help: "Print the figures as one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard requests >= 1, roundTrips >= 10, starts >= 1 else {
            throw ValidationError("--requests, --round-trips (≥ 10) and --starts must be positive")
        }
    }

    func run() async throws {
        let executable = binary ?? Self.currentExecutable()
        var benchmark = RPCBenchmark(executable: executable)
        var report = RPCBenchmark.Report(binary: executable)
        for framing in Framing.allCases {
            report.pingPong[framing.rawValue] = try benchmark.pingPong(framing: framing, roundTrips: roundTrips)
            report.pipelined[framing.rawValue] = try benchmark.pipelined(framing: framing, requests: requests)
        }
        report.startup = try benchmark.startup(count: starts)
        report.startupMCPInitialize = try benchmark.startup(count: starts, request: RPCBenchmark.mcpInitialize)
        report.startupMCPDiscover = try benchmark.startup(count: starts, request: RPCBenchmark.mcpDiscover)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }

    private static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
