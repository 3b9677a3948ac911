import ArgumentParser
import ContextCore
import Foundation
import SQLiteStorage

/// `memctx migrate --from PATH`: imports a legacy MEMORY-CONTEXT database.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Import a legacy MEMORY-CONTEXT database (memory-context.db) into memctx.",
        discussion: """
            Copies the legacy file first with SQLite's online backup API (the source is opened read-only and
            never written), maps every table of the legacy schema onto memctx's (stable ids, so running it
            again imports nothing twice), redacts the text at each item's privacy level, writes it to the
            configured repository (the central one when MEMCTX_DATABASE_URL and MEMCTX_CHROMA_URL are set,
            else the local database), reads everything back to validate it, and embeds every session,
            checkpoint and pattern. Progress goes to stderr; the validation report is printed as JSON on
            stdout. Exits with 1 when the report finds a mismatch.
            See docs/migration.md.

            Examples:
              memctx migrate --from ~/memory-context.db --dry-run | jq .tables
              memctx migrate --from ~/memory-context.db --project webapp
            """
    )

    @Option(help: ArgumentHelp("The legacy database file.", valueName: "path"))
    var from: String

    @Flag(help: "Report what would be imported; write nothing (the backup is still made).")
    var dryRun = false

    @Option(help: ArgumentHelp("The project of items whose session names none (default: MEMCTX_PROJECT, the git repository, else 'default').", valueName: "name"))
    var project: String?

    @Option(help: ArgumentHelp("Where to write the backup of the source (default: MEMCTX_HOME/backups/).", valueName: "path"))
    var backup: String?

    @Option(help: "Records per write.")
    var batchSize = 500

    @Flag(help: "Import into the local database even when a central repository is configured.")
    var local = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
        if let project { _ = try Validate.project(project) }
    }

    func run() async throws {
        let logger = try logging.bootstrap(label: "memctx")
        var environment = MemctxEnvironment()
        if let project { environment.project = project }
        let started = ContinuousClock.now
        let source = (from as NSString).expandingTildeInPath
        let backupPath = backup.map { ($0 as NSString).expandingTildeInPath }
            ?? LegacyDatabase.backupPath(for: source, in: (environment.home as NSString).appendingPathComponent("backups"), at: Date())
        let snapshot: LegacySnapshot
        do {
            snapshot = try LegacyDatabase.backupAndRead(source: source, backup: backupPath)
        } catch {
            throw CommandFailure("migrate: \(error.message)")
        }
        FileHandle.standardError.write(Data("migrate: backed up \(source) to \(backupPath)\n".utf8))
        let read = ContinuousClock.now
        let plan = LegacyMapping(defaultProject: environment.project, now: Date()).plan(snapshot)
        let batchSize = batchSize
        let dryRun = dryRun
        let report = try await CompositionRoot.withBulkRepository(logger: logger, environment: environment, local: local) { repository in
            var migration = LegacyMigration(transfer: repository.transfer)
            migration.batchSize = batchSize
            let bar = ProgressBar(label: "migrate")
            var report: MigrationReport
            do throws(ContextError) {
                report = try await migration.run(plan, dryRun: dryRun) { stage, done, total in bar.update(stage, done: done, total: total) }
            } catch {
                bar.finish()
                throw CommandFailure("migrate: \(error.message)")
            }
            bar.finish()
            let written = ContinuousClock.now
            report.source = ["path": source, "backup": backupPath, "target": repository.description, "targetKind": repository.location.rawValue]
            report.seconds["backupAndRead"] = Self.seconds(read - started)
            guard !dryRun else { return report }
            if let generated = try await CompositionRoot.embedMissing(repository.service, label: "migrate") {
                let embedded = ContinuousClock.now - written
                report.seconds["embed"] = Self.seconds(embedded)
                let total = generated.values.reduce(0, +)
                report.embeddings.generated = Dictionary(uniqueKeysWithValues: generated.map { ($0.key.rawValue, $0.value) })
                if total > 0 { report.embeddingsPerSecond = (Double(total) / Self.seconds(embedded)).rounded() }
                if let semantic = repository.service.semantic {
                    for kind in ItemKind.allCases {
                        let coverage = try await repository.service.store.embeddingCoverage(kind, model: semantic.modelID)
                        report.embeddings.missing[kind.rawValue] = max(0, coverage.total - coverage.embedded)
                    }
                }
                if report.embeddings.missing.values.contains(where: { $0 > 0 }) {
                    report.embeddings.detail = "some items have no vector: run memctx reindex"
                    report.ok = false
                }
            } else {
                report.embeddings.detail = "no embedding model: nothing was embedded (run scripts/fetch-model.sh, then memctx reindex)"
            }
            return report
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        FileHandle.standardError.write(Data((Self.summary(report) + "\n").utf8))
        if !report.ok { throw ExitCode(1) }
    }

    static func seconds(_ duration: Duration) -> Double {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return (value * 1000).rounded() / 1000
    }

    /// One line per table, then the verdict, for people (the JSON is for scripts).
    static func summary(_ report: MigrationReport) -> String {
        var lines = [report.dryRun ? "migrate (dry run): what would be imported" : "migrate: validation report"]
        lines.append("  table           source  skipped  expected  \(report.dryRun ? "present" : " target")  ok")
        for table in report.tables {
            func pad(_ value: Any, _ width: Int) -> String {
                let text = "\(value)"
                return String(repeating: " ", count: max(0, width - text.count)) + text
            }
            lines.append(
                "  \(table.table.padding(toLength: 14, withPad: " ", startingAt: 0))\(pad(table.source, 8))\(pad(table.skipped, 9))"
                    + "\(pad(table.expected, 10))\(pad(table.target, 9))  \(report.dryRun ? "" : (table.match ? "yes" : "NO"))")
        }
        if report.createdSessions > 0 { lines.append("  \(report.createdSessions) session(s) made for checkpoints without one") }
        if !report.warnings.isEmpty { lines.append("  \(report.warnings.count) row(s) imported with a change (see .warnings)") }
        if !report.skipped.isEmpty { lines.append("  \(report.skipped.count) row(s) skipped (see .skipped)") }
        if !report.dryRun {
            lines.append("  foreign keys: \(report.foreignKeys.checked) checked, \(report.foreignKeys.broken.count) broken")
            lines.append("  checksum: \(report.checksum.match ? "match" : "MISMATCH") (\(report.checksum.expected.prefix(16))…)")
            if let detail = report.embeddings.detail { lines.append("  embeddings: \(detail)") } else {
                lines.append("  embeddings: \(report.embeddings.generated.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)s" }.joined(separator: ", "))")
            }
        }
        lines.append(report.ok ? "  result: ok" : "  result: NOT ok (exit 1)")
        return lines.joined(separator: "\n")
    }
}
