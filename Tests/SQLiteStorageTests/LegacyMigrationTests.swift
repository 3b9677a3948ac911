import ContextCore
import ContextTesting
import Foundation
import SQLiteStorage
import Testing

/// `memctx migrate`'s reading of legacy files and its runs against the SQLite store.
@Suite("Legacy migration into SQLite")
struct LegacyMigrationTests {
    private let folder: String = {
        let path = NSTemporaryDirectory() + "memctx-legacy-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    private func digest(_ path: String) throws -> String {
        var hasher = SHA256()
        hasher.update(try Data(contentsOf: URL(fileURLWithPath: path)))
        return hasher.finalize().hexString
    }

    @Test func theSourceIsBackedUpAndNeverWritten() throws {
        let source = folder + "/memory-context.db"
        let summary = try LegacyFixture.make(at: source, ["--sessions", "40", "--malformed"])
        let before = try digest(source)
        let modified = try FileManager.default.attributesOfItem(atPath: source)[.modificationDate] as? Date
        let backup = folder + "/backups/copy.db"
        let snapshot = try LegacyDatabase.backupAndRead(source: source, backup: backup)
        #expect(try digest(source) == before)
        #expect(try FileManager.default.attributesOfItem(atPath: source)[.modificationDate] as? Date == modified)
        #expect(!FileManager.default.fileExists(atPath: source + "-wal"))
        let permissions = try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        for (table, rows) in summary.rows { #expect(snapshot.tables[table]?.rows.count == rows, "\(table)") }
        #expect(!snapshot.foreignKeyViolations.isEmpty, "the malformed rows break references")
        // The backup is a whole database: reading it again gives the same rows.
        let again = try LegacyDatabase.backupAndRead(source: backup, backup: folder + "/backups/copy2.db")
        #expect(again.tables.mapValues(\.rows.count) == snapshot.tables.mapValues(\.rows.count))
    }

    @Test func filesThatAreNotLegacyDatabasesAreRefusedWithTheReason() async throws {
        func message(_ source: String) -> String {
            do {
                _ = try LegacyDatabase.backupAndRead(source: source, backup: folder + "/b-\(UUID().uuidString).db")
                return "read"
            } catch {
                return error.message
            }
        }
        #expect(message(folder + "/missing.db").contains("no file at"))
        let text = folder + "/notes.txt"
        try Data("just some notes, long enough to have a header".utf8).write(to: URL(fileURLWithPath: text))
        #expect(message(text).contains("not a SQLite database"))
        let memctx = folder + "/memctx.db"
        _ = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: memctx))
        #expect(message(memctx).contains("memctx database"))
        let source = folder + "/legacy.db"
        _ = try LegacyFixture.make(at: source, ["--sessions", "3"])
        let taken = folder + "/taken.db"
        #expect(FileManager.default.createFile(atPath: taken, contents: Data()))
        do {
            _ = try LegacyDatabase.backupAndRead(source: source, backup: taken)
            Issue.record("an existing backup file was overwritten")
        } catch {
            #expect(error.message.contains("exists already"))
        }
    }

    private func migrate(_ source: String, into store: SQLiteDocumentStore, dryRun: Bool = false) async throws -> MigrationReport {
        let snapshot = try LegacyDatabase.backupAndRead(source: source, backup: folder + "/backup-\(UUID().uuidString).db")
        let plan = LegacyMapping(defaultProject: "legacy", now: Date()).plan(snapshot)
        var migration = LegacyMigration(transfer: store)
        migration.batchSize = 97
        return try await migration.run(plan, dryRun: dryRun)
    }

    @Test func aMigrationIsValidatedAndASecondOneChangesNothing() async throws {
        let source = folder + "/memory-context.db"
        let summary = try LegacyFixture.make(at: source, ["--sessions", "120", "--malformed"])
        let store = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: folder + "/memctx.db"))

        let dry = try await migrate(source, into: store, dryRun: true)
        #expect(dry.dryRun && dry.inserted.isEmpty)
        #expect(try await TransferSamples.exportAll(store).isEmpty, "a dry run wrote")

        let report = try await migrate(source, into: store)
        #expect(report.ok, "\(report.tables) \(report.mismatched) \(report.foreignKeys.broken)")
        #expect(report.checksum.match && report.mismatched.isEmpty && report.foreignKeys.broken.isEmpty)
        for (table, count) in summary.expected {
            #expect(report.tables.first { $0.table == table }?.target == count, "\(table)")
        }
        for (table, count) in summary.skipped {
            #expect(report.skipped.filter { $0.kind == table }.count == count, "\(table): \(report.skipped.filter { $0.kind == table })")
        }
        #expect(report.warnings.count >= summary.warningsAtLeast)
        #expect(report.createdSessions == summary.createdSessions)
        let stored = try await TransferSamples.exportAll(store, pageSize: 500)
        let text = String(decoding: try JSONEncoder().encode(stored.sessions), as: UTF8.self)
        for secret in summary.secrets { #expect(!text.contains(secret), "secret \(secret) was kept") }

        let again = try await migrate(source, into: store)
        #expect(again.ok)
        #expect(again.inserted.values.allSatisfy { $0 == 0 }, "\(again.inserted)")
        #expect(again.alreadyPresent["sessions"] == summary.expected["sessions"]! + summary.createdSessions)
        #expect(try await TransferSamples.exportAll(store, pageSize: 500).canonical == stored.canonical)
    }

    @Test func aFileWithoutOptionalColumnsAndWithExtraOnesMigrates() async throws {
        let source = folder + "/minimal.db"
        let summary = try LegacyFixture.make(at: source, ["--sessions", "30", "--variant", "minimal"])
        let store = try SQLiteDocumentStore()
        let report = try await migrate(source, into: store)
        #expect(report.ok)
        #expect(report.missingColumns["checkpoints"]?.contains("created_at") == true)
        #expect(report.columnsNotKept["sessions"]?.contains("owner_email") == true)
        #expect(report.tables.first { $0.table == "checkpoints" }?.target == summary.expected["checkpoints"])
    }

    @Test func exportThenImportIsExact() async throws {
        let first = try SQLiteDocumentStore()
        let sample = TransferSamples.batch()
        let counts = try await first.importRecords(sample)
        #expect(counts.inserted[.session] == 3 && counts.inserted[.checkpoint] == 2 && counts.inserted[.pattern] == 2)
        #expect(counts.audits == 3 && counts.skipped.isEmpty && counts.droppedReferences.isEmpty)
        let exported = try await TransferSamples.exportAll(first)
        #expect(exported.canonical == sample.canonical)

        let second = try SQLiteDocumentStore(configuration: SQLiteStorageConfiguration(path: folder + "/second.db"))
        _ = try await second.importRecords(exported)
        #expect(try await TransferSamples.exportAll(second).canonical == exported.canonical)
        let twice = try await second.importRecords(exported)
        #expect(twice.inserted.isEmpty && twice.audits == 0)
        #expect(twice.existing[.session] == 3 && twice.existing[.contextLoad] == 1)
        #expect(try await TransferSamples.exportAll(second).canonical == exported.canonical)
        // Scoped to a project.
        let beta = try await TransferSamples.exportAll(second, scope: .only("beta"))
        #expect(beta.sessions.map(\.project) == ["beta"] && beta.checkpoints.isEmpty)
    }

    @Test func referencesThatLeadNowhereAreReported() async throws {
        let store = try SQLiteDocumentStore()
        var batch = RecordBatch()
        let sample = TransferSamples.batch()
        batch.checkpoints = [sample.checkpoints[0]]
        batch.patterns = [sample.patterns[1]]
        let counts = try await store.importRecords(batch)
        #expect(counts.skipped.map(\.key) == [sample.checkpoints[0].id.description])
        #expect(counts.droppedReferences.count == 1 && counts.droppedReferences[0].reason.contains("parentPatternId"))
        #expect(try await store.patterns(ids: [sample.patterns[1].id]).first?.parentPatternID == nil)
    }
}
