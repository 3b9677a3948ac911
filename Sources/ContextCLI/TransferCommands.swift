import ArgumentParser
import ContextCore
import ContextProtocol
import Foundation

/// `memctx export`: every table as versioned JSON lines.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every stored record as JSON lines (sessions, checkpoints, patterns, context loads, audits).",
        discussion: """
            The first line is a header (format, version), the last one counts the records and carries the
            SHA-256 of the lines before it, so `memctx import` refuses a truncated or edited file. Reads the
            central repository when one is configured (it must be reachable; --local exports the local
            database instead). See docs/export.md.

            Examples:
              memctx export > memctx-backup.jsonl
              memctx export --project webapp --output webapp.jsonl
              memctx export | jq -c 'select(.type == "pattern") | {name, frequency}'
            """
    )

    @Option(help: ArgumentHelp("Export only this project (default: every project).", valueName: "name"))
    var project: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "path"))
    var output: String?

    @Flag(help: "Export the local database even when a central repository is configured.")
    var local = false

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let project, project != "*" { _ = try Validate.project(project) }
    }

    func run() async throws {
        let logger = try logging.bootstrap(label: "memctx")
        let scope: ProjectScope = project.map { $0 == "*" ? .all : .only($0) } ?? .all
        let sink: FileHandle
        if let output {
            let path = (output as NSString).expandingTildeInPath
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                let handle = FileHandle(forWritingAtPath: path)
            else { throw CommandFailure("export: cannot write \(path)") }
            sink = handle
        } else {
            sink = FileHandle.standardOutput
        }
        let counts = try await CompositionRoot.withBulkRepository(logger: logger, local: local) { repository in
            var writer = TransferFile.Writer()
            let header = TransferFile.Header(exportedAt: Date(), scope: project ?? "*", generator: "memctx \(ServerIdentity.version)")
            sink.write(try writer.encode(.header(header)))
            let bar = ProgressBar(label: "export")
            defer { bar.finish() }
            var cursor: String?
            var written = 0
            repeat {
                let page: (batch: RecordBatch, next: String?)
                do throws(ContextError) {
                    page = try await repository.service.exportPage(scope: scope, cursor: cursor, limit: 1000)
                } catch {
                    throw CommandFailure("export: \(error.message)")
                }
                sink.write(try writer.encode(page.batch))
                written += page.batch.count
                bar.update("records", done: written, total: written + (page.next == nil ? 0 : 1))
                cursor = page.next
            } while cursor != nil
            sink.write(try writer.finish())
            return written
        }
        if output != nil { try sink.close() }
        FileHandle.standardError.write(Data("export: \(counts) records\n".utf8))
    }
}

/// `memctx import FILE`: restores an export.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Restore records from a file made by memctx export.",
        discussion: """
            Checks the whole file first (header, version, record count and checksum): a truncated or edited
            file is refused and nothing is written. Then writes every record whose id is not stored yet,
            exactly as exported (ids, times, counts, tags, audit rows); records already stored are left as
            they are, so importing twice changes nothing. Embeds what it wrote when the model is installed.
            Writes to the central repository when one is configured (--local: the local database). Prints a
            JSON summary on stdout; exits with 1 if a record was skipped. See docs/export.md.

            Examples:
              memctx import memctx-backup.jsonl
              cat webapp.jsonl | memctx import -
            """
    )

    @Argument(help: ArgumentHelp("The export file, or - for stdin.", valueName: "file"))
    var file: String

    @Flag(help: "Import into the local database even when a central repository is configured.")
    var local = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = try logging.bootstrap(label: "memctx")
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            let path = (file as NSString).expandingTildeInPath
            guard let contents = FileManager.default.contents(atPath: path) else { throw CommandFailure("import: cannot read \(path)") }
            data = contents
        }
        let parsed: (header: TransferFile.Header, batch: RecordBatch, counts: [String: Int])
        do {
            parsed = try TransferFile.read(data)
        } catch {
            throw CommandFailure("import: \(error.message)")
        }
        let (valid, rejected) = parsed.batch.validated()
        let summary = try await CompositionRoot.withBulkRepository(logger: logger, local: local) { repository in
            var counts = ImportCounts()
            counts.skipped = rejected
            let bar = ProgressBar(label: "import")
            let chunks = valid.chunks(of: 500)
            var done = 0
            for chunk in chunks {
                do {
                    counts.add(try await repository.transfer.importRecords(chunk))
                } catch {
                    bar.finish()
                    throw CommandFailure("import: \((error as? ContextError)?.message ?? "the repository failed while importing records")")
                }
                done += chunk.count
                bar.update("records", done: done, total: valid.count)
            }
            bar.finish()
            let generated = try await CompositionRoot.embedMissing(repository.service, label: "import")
            return ImportSummary(counts, embedded: generated, target: repository.description)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        FileHandle.standardOutput.write(try encoder.encode(summary) + Data("\n".utf8))
        let inserted = summary.inserted.values.reduce(0, +)
        let existing = summary.existing.values.reduce(0, +)
        FileHandle.standardError.write(
            Data("import: \(inserted) records written, \(existing) already stored, \(summary.skipped.count) skipped\n".utf8))
        if !summary.skipped.isEmpty { throw ExitCode(1) }
    }
}

/// What `memctx import` did, printed as JSON.
struct ImportSummary: Codable {
    var inserted: [String: Int]
    var existing: [String: Int]
    var audits: Int
    var skipped: [ImportIssue]
    var droppedReferences: [ImportIssue]
    var embedded: [String: Int]?
    var target: String

    init(_ counts: ImportCounts, embedded: [ItemKind: Int]?, target: String) {
        inserted = Dictionary(uniqueKeysWithValues: counts.inserted.map { ($0.key.rawValue, $0.value) })
        existing = Dictionary(uniqueKeysWithValues: counts.existing.map { ($0.key.rawValue, $0.value) })
        audits = counts.audits
        skipped = counts.skipped
        droppedReferences = counts.droppedReferences
        self.embedded = embedded.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) }
        self.target = target
    }
}

/// `memctx purge SESSION`: erases a session everywhere.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Erase a session, its checkpoints, tag links and vectors, and anonymise its audit rows.",
        discussion: """
            The same as the method deleteSession with purge: true. Locally the rows go and the database file
            is rewritten so no copy of the text stays on disk; with a central repository the erasure is
            pushed to PostgreSQL and ChromaDB at once, or waits in the outbox (and wins over any change
            queued elsewhere) until it can be. Prints a JSON result on stdout. See docs/sync.md (Erasure).

            Example:
              memctx purge 0192f0c1-7e2a-7cc3-9f51-4a4b2d1e8f00
            """
    )

    @Argument(help: ArgumentHelp("The session's id.", valueName: "session-id"))
    var id: String

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard ItemID(id) != nil else { throw ValidationError("'\(id)' is not a session id (a UUID)") }
    }

    func run() async throws {
        let logger = try logging.bootstrap(label: "memctx")
        guard let sessionID = ItemID(id) else { return }
        let stored = try await CompositionRoot.withService(logger: logger) { service, _ in
            do throws(ContextError) {
                return try await service.deleteSession(id: sessionID, purge: true, scope: .all)
            } catch {
                throw CommandFailure("purge: \(error.message)")
            }
        }
        let result = DeleteSession.Result(id: sessionID.description, deleted: true, purged: true, stored: WireStorage(rawValue: stored.rawValue) ?? .local)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        FileHandle.standardOutput.write(try encoder.encode(result) + Data("\n".utf8))
        let line =
            stored == .local && MemctxEnvironment().isCentral
            ? "purge: erased here; the erasure waits in the outbox for the central repository (memctx sync pushes it)"
            : "purge: erased"
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }
}
