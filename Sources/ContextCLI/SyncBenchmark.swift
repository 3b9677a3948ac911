import ArgumentParser
import ContextCore
import ContextProtocol
import ContextServer
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `memctx bench sync`: saveCheckpoint with the central repository unreachable, one failure kind at a time.
struct SyncBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Measure saveCheckpoint while the central repository refuses, hangs, or is half away.",
        discussion: """
            Runs the services as `memctx serve` builds them with a central repository configured (local SQLite
            replica, outbox, circuit breakers), in a temporary MEMCTX_HOME, without the embedding model (the
            embedding is excluded), and times --checkpoints saveCheckpoint calls in each case:
              refused        PostgreSQL and ChromaDB on a closed port (connection refused at once)
              hung           both on a port that accepts TCP connections and never answers (a stopped
                             server, SIGSTOP: the kernel completes the handshake, nothing replies)
              chroma-down    PostgreSQL from MEMCTX_DATABASE_URL, ChromaDB refused   (needs the variable)
              postgres-hung  PostgreSQL hung, ChromaDB from MEMCTX_CHROMA_URL        (needs the variable)
            Every call must answer stored: "local". Use a release build:
              swift build -c release && eval "$(scripts/dev-services.sh start)" && .build/release/memctx bench sync
            """
    )

    @Option(help: "saveCheckpoint calls to time per case.")
    var checkpoints = 2_000

    func run() async throws {
        guard checkpoints > 0 else { throw ValidationError("--checkpoints must be positive") }
        let blackHole = try BlackHoleListener()
        defer { blackHole.close() }
        let real = MemctxEnvironment()
        let refusedDatabase = "postgres://memctx:secret@127.0.0.1:1/memctx?sslmode=disable&connect_timeout=3"
        let hungDatabase = "postgres://memctx:secret@127.0.0.1:\(blackHole.port)/memctx?sslmode=disable&connect_timeout=3"
        var cases: [(String, String, String)] = [
            ("refused", refusedDatabase, "http://127.0.0.1:1"),
            ("hung", hungDatabase, "http://127.0.0.1:\(blackHole.port)"),
        ]
        if let database = real.databaseURL { cases.append(("chroma-down", database, "http://127.0.0.1:1")) }
        if let chroma = real.chromaURL { cases.append(("postgres-hung", hungDatabase, chroma)) }
        if real.databaseURL == nil || real.chromaURL == nil {
            print("(MEMCTX_DATABASE_URL / MEMCTX_CHROMA_URL not set: the half-away cases are skipped)")
        }
        print("memctx bench sync — saveCheckpoint with the central repository away, embedding excluded\n")
        for (name, database, chroma) in cases {
            let home = NSTemporaryDirectory() + "memctx-bench-sync-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: home) }
            var environment = real
            environment.home = home
            environment.modelDirectory = URL(fileURLWithPath: home + "/no-model")
            environment.databaseURL = database
            environment.chromaURL = chroma
            environment.databaseSchema = "bench_sync_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
            environment.chromaPrefix = environment.databaseSchema.map { $0 + "_" }
            var logger = Logger(label: "memctx")
            logger.logLevel = .critical
            let started = ContinuousClock.now
            let line = try await CompositionRoot.withService(logger: logger, environment: environment) { service, configuration in
                let startup = ContinuousClock.now - started
                let session = try await service.createSession(SessionDraft(title: "offline benchmark")).session.id
                var local = 0
                var index = 0
                let samples = try await BenchmarkFigures.measure(checkpoints) {
                    var draft = CheckpointDraft(description: "offline checkpoint \(index) while the server is away")
                    draft.sessionID = session
                    draft.content = String(repeating: "work in progress, nothing lost. ", count: 15)
                    if try await service.saveCheckpoint(draft).stored == .local { local += 1 }
                    index += 1
                }
                let depth = await configuration.syncState?().outboxDepth ?? 0
                return BenchmarkFigures.line("saveCheckpoint, \(name)", samples)
                    + "   stored local \(local)/\(checkpoints), outbox \(depth), start-up \(Self.milliseconds(startup))"
            }
            print(line)
        }
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return String(format: "%.0f ms", value)
    }
}

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes the handshake up to the backlog)
/// and never reads or answers: what a stopped server looks like to a client.
final class BlackHoleListener: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let socketType = Int32(SOCK_STREAM.rawValue)
        let descriptor = socket(AF_INET, socketType, 0)
        guard descriptor >= 0 else { throw CommandFailure("cannot open a socket (errno \(errno))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 4096) == 0 else {
            Glibc.close(descriptor)
            throw CommandFailure("cannot listen on 127.0.0.1 (errno \(errno))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(descriptor) }
}
