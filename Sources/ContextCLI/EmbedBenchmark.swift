import ArgumentParser
import Dispatch
import Foundation
import SentenceEmbedding

/// `memctx bench embed`: model load, single-sentence latency, batch throughput and memory of the encoder.
struct EmbedBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Measure model load, one-sentence latency, batch throughput and memory of the MiniLM encoder.",
        discussion: """
            Loads the model from MEMCTX_MODEL_DIR (or the default model directory) several times, then embeds
            32-token sentences one at a time and in batches. scripts/bench-embed.sh runs this and the NumPy
            reference in the same run. Use a release build:
              swift build -c release && .build/release/memctx bench embed
            """
    )

    @Option(help: "Single-sentence calls to time.")
    var calls = 300

    @Option(help: "Sentences in the throughput run.")
    var sentences = 1_024

    @Option(help: "Sentences per batch in the throughput run.")
    var batchSize = 32

    func run() async throws {
        let directory = MemctxEnvironment().modelDirectory
        print("memctx bench embed — all-MiniLM-L6-v2, \(SentenceEmbeddingModel.blasDescription)")
        print("model directory: \(directory.path)\n")
        let before = MemoryUsage.current()
        var loaded: SentenceEmbeddingModel?
        let loads = try await BenchmarkFigures.measure(5) {
            do throws(SentenceEmbeddingError) {
                loaded = try SentenceEmbeddingModel(directory: directory)
            } catch {
                throw CommandFailure(error.message)
            }
        }
        guard let model = loaded else { return }
        print(BenchmarkFigures.line("model load (5 loads; first \(String(format: "%.1f", Double(loads[0]) / 1e6)) ms)", loads))

        // A real sentence of exactly 32 ids ([CLS] + 30 pieces + [SEP]).
        let words = "the agent saved a checkpoint after fixing the flaky login test that failed when the session cookie expired during the redirect back from the identity provider on staging".split(separator: " ")
        var text = ""
        for word in words {
            let candidate = text.isEmpty ? String(word) : text + " " + word
            if model.tokenIDs(candidate).count > 32 { break }
            text = candidate
        }
        var ids = model.tokenIDs(text)
        while ids.count < 32 { ids.insert(1996, at: ids.count - 1) }  // pad with "the" to 32 exactly
        _ = model.embed(tokenized: [ids])
        let single = await BenchmarkFigures.measure(calls) { _ = model.embed(tokenized: [ids]) }
        print(BenchmarkFigures.line("one 32-token sentence (\(calls) calls)", single))
        let short = model.tokenIDs("retry flaky postgres connection")
        let shortCalls = await BenchmarkFigures.measure(calls) { _ = model.embed(tokenized: [short]) }
        print(BenchmarkFigures.line("one short query (\(short.count) tokens, a typical search)", shortCalls))
        let textCalls = await BenchmarkFigures.measure(calls) { _ = model.embed([text]) }
        print(BenchmarkFigures.line("one sentence from text, tokenizer included (\(ids.count) ids)", textCalls))

        let batch = [[Int32]](repeating: ids, count: batchSize)
        let start = DispatchTime.now().uptimeNanoseconds
        var done = 0
        while done < sentences {
            _ = model.embed(tokenized: batch)
            done += batchSize
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(
            "batch throughput (\(done) sentences of 32 tokens, batches of \(batchSize))".padding(toLength: 70, withPad: " ", startingAt: 0)
                + String(format: "%.0f sentences/s   (%.2f GFLOP/s)", Double(done) / seconds, Double(done) * 0.68 / seconds)
        )
        let after = MemoryUsage.current()
        print(
            "\nresident memory: \(after.resident / 1_048_576) MiB with the model loaded and used "
                + "(anonymous \(after.anonymous / 1_048_576) MiB, file-backed \(after.file / 1_048_576) MiB — the mapped weights); "
                + "before loading \(before.resident / 1_048_576) MiB; peak \(after.peak / 1_048_576) MiB"
        )
    }

    private static func line(_ label: String, _ samples: [UInt64]) -> String {
        let sorted = samples.sorted()
        func at(_ fraction: Double) -> Double {
            Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1e6
        }
        return label.padding(toLength: 70, withPad: " ", startingAt: 0)
            + String(format: "p50 %.3f ms   p95 %.3f ms   min %.3f ms", at(0.5), at(0.95), at(0))
    }
}

/// The process's memory from /proc/self/status (Linux), in bytes.
struct MemoryUsage {
    var resident: Int = 0
    var anonymous: Int = 0
    var file: Int = 0
    var peak: Int = 0

    static func current() -> MemoryUsage {
        var usage = MemoryUsage()
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return usage }
        for line in status.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count >= 2, let kilobytes = Int(parts[1]) else { continue }
            switch parts[0] {
            case "VmRSS:": usage.resident = kilobytes * 1024
            case "RssAnon:": usage.anonymous = kilobytes * 1024
            case "RssFile:": usage.file = kilobytes * 1024
            case "VmHWM:": usage.peak = kilobytes * 1024
            default: break
            }
        }
        return usage
    }
}
