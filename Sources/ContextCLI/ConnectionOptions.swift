import ArgumentParser
import Foundation
import JSONRPC

extension FramingMode: ExpressibleByArgument {}

/// Options of the JSON-RPC connection, shared by `serve` and `call`.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Framing to read and write: auto (from the first byte), lsp or ndjson.")
    var framing: FramingMode = .auto

    @Option(
        help: ArgumentHelp(
            "Largest accepted message, in bytes; KiB, MiB and GiB suffixes are understood.",
            valueName: "size"
        )
    )
    var maxMessageSize: ByteCount = ByteCount(bytes: 16 * 1024 * 1024)

    @Option(help: "How many requests may run at once (1 to 10000).")
    var maxConcurrency: Int = 32

    func validate() throws {
        guard (1...10_000).contains(maxConcurrency) else {
            throw ValidationError("--max-concurrency must be between 1 and 10000")
        }
        guard maxMessageSize.bytes >= 64 else { throw ValidationError("--max-message-size must be at least 64 bytes") }
    }

    var configuration: ConnectionConfiguration {
        ConnectionConfiguration(
            framing: framing,
            maximumMessageSize: maxMessageSize.bytes,
            maximumConcurrentRequests: maxConcurrency
        )
    }
}

/// A size such as `1048576`, `512KiB`, `16MiB` or `1GiB` (K/M/G and KB/MB/GB are read as powers of 1024).
struct ByteCount: ExpressibleByArgument, Sendable {
    var bytes: Int

    init(bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int)] = [
            ("gib", 1 << 30), ("gb", 1 << 30), ("g", 1 << 30),
            ("mib", 1 << 20), ("mb", 1 << 20), ("m", 1 << 20),
            ("kib", 1 << 10), ("kb", 1 << 10), ("k", 1 << 10),
            ("b", 1),
        ]
        for (suffix, multiplier) in units where text.hasSuffix(suffix) {
            guard let value = Int(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), value >= 0 else {
                return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
            guard !overflow else { return nil }
            bytes = product
            return
        }
        guard let value = Int(text), value >= 0 else { return nil }
        bytes = value
    }

    var defaultValueDescription: String { "\(bytes / (1 << 20))MiB" }
}
