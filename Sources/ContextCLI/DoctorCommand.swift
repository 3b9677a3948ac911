import ArgumentParser
import ChromaStorage
import ContextCore
import Foundation
import Logging
import PostgresStorage
import SQLiteStorage
import SentenceEmbedding

/// `memctx doctor`: checks the configuration end to end and says how to fix what is wrong.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the local database, the model files and the central repository, and say how to fix problems.",
        discussion: """
            Checks the local database (opened as memctx always opens it, which creates or migrates the file), the embedding model
            (files present and loadable), and when MEMCTX_DATABASE_URL / MEMCTX_CHROMA_URL are set, PostgreSQL
            (reachable, credentials, extensions, schema version) and ChromaDB (reachable, collections), changing
            nothing on either. Prints one
            line per check and a fix for each problem; the exit code is 1 if anything is wrong. `health` reports
            the same backends as JSON from a running server.

            Example:
              memctx doctor
            """
    )

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var logger = try logging.bootstrap(label: "memctx")
        if logging.logLevel == nil, ProcessInfo.processInfo.environment["MEMCTX_LOG_LEVEL"] == nil { logger.logLevel = .error }
        let environment = MemctxEnvironment()
        var report = DoctorReport()

        do {
            let store = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: environment.databasePath))
            report.ok("local database", "\(environment.databasePath), schema \(try await store.schemaVersion() ?? "none")")
        } catch {
            report.problem("local database", "cannot open \(environment.databasePath): \(error)", fix: "check the folder's permissions or set MEMCTX_HOME")
        }

        if !ModelDirectory.isComplete(environment.modelDirectory) {
            report.problem(
                "embedding model", "no model files in \(environment.modelDirectory.path): search is lexical only",
                fix: "run scripts/fetch-model.sh (or set MEMCTX_MODEL_DIR to a folder with config.json, vocab.txt, model.safetensors)"
            )
        } else {
            do {
                let model = try SentenceEmbeddingModel(directory: environment.modelDirectory)
                report.ok("embedding model", "\(SentenceEmbeddingModel.modelID) (\(model.dimension) dimensions) in \(environment.modelDirectory.path)")
            } catch {
                report.problem("embedding model", error.message, fix: "reinstall the files: scripts/fetch-model.sh")
            }
        }

        if environment.isCentral {
            await checkCentral(environment, logger: logger, into: &report)
        } else {
            report.ok("central repository", "not configured (MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL unset): memctx is local")
        }
        FileHandle.standardOutput.write(Data(report.text.utf8))
        if report.hasProblems { throw ExitCode(1) }
    }

    private func checkCentral(_ environment: MemctxEnvironment, logger: Logger, into report: inout DoctorReport) async {
        let central: CentralRepository
        do {
            central = try CentralRepository(environment: environment, logger: logger)
        } catch {
            report.problem("central repository", "\(error)", fix: "set both MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL to valid URLs")
            return
        }
        let store = central.store
        do {
            let (version, missing) = try await store.withRunning {
                (try await store.schemaVersion(), try await store.missingExtensions())
            }
            if missing.isEmpty {
                report.ok("PostgreSQL extensions", "pg_trgm, pgcrypto, uuid-ossp present")
            } else {
                report.problem(
                    "PostgreSQL extensions", "missing: \(missing.joined(separator: ", "))",
                    fix: "install postgresql-contrib and run CREATE EXTENSION for each as a superuser, or start memctx once with a role allowed to create them"
                )
            }
            let expected = PostgresDocumentStore.expectedSchemaVersion
            if version == expected {
                report.ok("PostgreSQL", "\(store.configuration.endpoint), schema \(expected)")
            } else {
                report.problem(
                    "PostgreSQL", "\(store.configuration.endpoint): schema \(version ?? "not created"), this memctx needs \(expected)",
                    fix: "start memctx (serve or call) once: it migrates the schema"
                )
            }
        } catch {
            report.problem("PostgreSQL", CentralRepository.reason(error), fix: "check MEMCTX_DATABASE_URL (host, port, user, password, database, sslmode) and that the server runs")
        }
        do {
            try await central.vectors.heartbeat()
            let counts = try await central.vectors.collectionCounts()
            let missing = ItemKind.allCases.filter { counts[$0] == .some(nil) }
            if missing.isEmpty {
                let summary = ItemKind.allCases.map { "\($0.rawValue)s \((counts[$0] ?? nil) ?? 0)" }.joined(separator: ", ")
                report.ok("ChromaDB", "\(central.vectors.configuration.endpoint), vectors: \(summary)")
            } else {
                report.problem(
                    "ChromaDB", "\(central.vectors.configuration.endpoint): no collection for \(missing.map { $0.rawValue + "s" }.joined(separator: ", "))",
                    fix: "start memctx (serve or call) once: it creates the collections"
                )
            }
        } catch {
            report.problem("ChromaDB", CentralRepository.reason(error), fix: "check MEMCTX_CHROMA_URL (and MEMCTX_CHROMA_TOKEN) and that the server runs")
        }
    }
}

/// The lines `memctx doctor` prints.
struct DoctorReport {
    private(set) var text = ""
    private(set) var hasProblems = false

    mutating func ok(_ check: String, _ detail: String) {
        text += "ok       \(check): \(detail)\n"
    }

    mutating func problem(_ check: String, _ detail: String, fix: String) {
        hasProblems = true
        text += "PROBLEM  \(check): \(detail)\n         fix: \(fix)\n"
    }
}
