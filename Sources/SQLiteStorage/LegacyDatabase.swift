package import ContextCore
package import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A legacy MEMORY-CONTEXT database file, read for `memctx migrate`: copied first with SQLite's online
/// backup API (the source is opened read-only and never written), then read from the copy, so the rows
/// are one consistent snapshot even while another program writes to the source.
package enum LegacyDatabase {
    /// Copies `source` to `backup` (a new file, mode 0600), checks that it is a legacy database, and reads
    /// every table of the legacy schema the copy has. Errors are `invalidInput` with what is wrong.
    package static func backupAndRead(source: String, backup: String) throws(ContextError) -> LegacySnapshot {
        try copy(source: source, to: backup)
        return try read(backup)
    }

    /// A backup path next to the memctx database that does not exist yet.
    package static func backupPath(for source: String, in folder: String, at date: Date) -> String {
        let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let stamp = Timestamp.iso8601(date).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        var path = "\(folder)/\(name)-backup-\(stamp).db"
        var counter = 1
        while FileManager.default.fileExists(atPath: path) {
            counter += 1
            path = "\(folder)/\(name)-backup-\(stamp)-\(counter).db"
        }
        return path
    }

    static func copy(source: String, to backup: String) throws(ContextError) {
        guard FileManager.default.fileExists(atPath: source) else {
            throw ContextError(.invalidInput, "no file at \(source)", field: "from")
        }
        guard let handle = FileHandle(forReadingAtPath: source) else {
            throw ContextError(.invalidInput, "cannot read \(source) (check its permissions)", field: "from")
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        guard header == Data("SQLite format 3\0".utf8) else {
            throw ContextError(.invalidInput, "\(source) is not a SQLite database, so not a legacy MEMORY-CONTEXT database", field: "from")
        }
        guard !FileManager.default.fileExists(atPath: backup) else {
            throw ContextError(.invalidInput, "the backup file \(backup) exists already: name another one", field: "backup")
        }
        do {
            let folder = URL(fileURLWithPath: backup).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let descriptor = open(backup, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw ContextError(.invalidInput, "cannot create the backup file \(backup)", field: "backup") }
            close(descriptor)
            var configuration = Configuration()
            configuration.readonly = true
            let sourceQueue = try DatabaseQueue(path: source, configuration: configuration)
            let backupQueue = try DatabaseQueue(path: backup)
            try sourceQueue.backup(to: backupQueue)
            try sourceQueue.close()
            try backupQueue.close()
        } catch let error as ContextError {
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: backup)
            throw ContextError(.invalidInput, "cannot back up \(source): \(Self.describe(error))", field: "from", underlying: error)
        }
    }

    static func read(_ path: String) throws(ContextError) -> LegacySnapshot {
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db throws -> LegacySnapshot in
                let names = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
                try checkIsLegacy(db, tables: names)
                var tables: [String: LegacyTable] = [:]
                for name in LegacySnapshot.knownTables where names.contains(name) {
                    let columns = try db.columns(in: name).map(\.name)
                    let missing = (LegacySnapshot.requiredColumns[name] ?? []).filter { !columns.contains($0) }
                    guard missing.isEmpty else {
                        throw ContextError(
                            .invalidInput,
                            "the legacy table \(name) has no \(missing.joined(separator: ", ")) column: its rows cannot be mapped",
                            field: "from")
                    }
                    tables[name] = LegacyTable(name: name, columns: columns, rows: try rows(of: name, db: db))
                }
                let violations = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row -> String in
                    let table: String = row[0]
                    let rowid: Int64? = row[1]
                    let parent: String = row[2]
                    return "\(table) rowid \(rowid.map(String.init) ?? "?") → \(parent) (no such row)"
                }
                return LegacySnapshot(tables: tables, foreignKeyViolations: violations)
            }
        } catch let error as ContextError {
            throw error
        } catch {
            throw ContextError(.invalidInput, "cannot read the legacy database: \(Self.describe(error))", field: "from", underlying: error)
        }
    }

    private static func checkIsLegacy(_ db: Database, tables: [String]) throws {
        if tables.contains("sessions"), try db.columns(in: "sessions").contains(where: { $0.name == "seq" }) {
            throw ContextError(
                .invalidInput,
                "this is a memctx database, not a legacy MEMORY-CONTEXT one: copy it, or move its data with memctx export and memctx import",
                field: "from")
        }
        let keys = ["sessions": "session_id", "checkpoints": "checkpoint_id", "patterns": "pattern_id"]
        var found = false
        for (table, key) in keys where tables.contains(table) {
            if try db.columns(in: table).contains(where: { $0.name == key }) { found = true }
        }
        guard found else {
            let list = tables.filter { !$0.hasPrefix("sqlite_") }.sorted()
            throw ContextError(
                .invalidInput,
                "not a legacy MEMORY-CONTEXT database: it has no sessions, checkpoints or patterns table with session_id, checkpoint_id or pattern_id (tables: \(list.isEmpty ? "none" : list.joined(separator: ", ")))",
                field: "from")
        }
    }

    private static func rows(of table: String, db: Database) throws -> [LegacyRow] {
        // `table` is one of the legacy schema's names (LegacySnapshot.knownTables), never input.
        let hasRowID = (try? db.makeStatement(sql: "SELECT rowid FROM \(table) LIMIT 0")) != nil
        let sql = hasRowID ? "SELECT rowid AS \"memctx:rowid\", * FROM \(table) ORDER BY rowid" : "SELECT * FROM \(table)"
        var result: [LegacyRow] = []
        var index: Int64 = 0
        let cursor = try Row.fetchCursor(db, sql: sql)
        while let row = try cursor.next() {
            index += 1
            var values: [String: LegacyValue] = [:]
            var rowid = index
            for (column, value) in row {
                if column == "memctx:rowid" {
                    rowid = Int64.fromDatabaseValue(value) ?? index
                    continue
                }
                switch value.storage {
                case .null: values[column] = .null
                case .int64(let number): values[column] = .integer(number)
                case .double(let number): values[column] = .real(number)
                case .string(let text): values[column] = .text(text)
                case .blob(let data): values[column] = .blob(data)
                }
            }
            result.append(LegacyRow(rowid: rowid, values: values))
        }
        return result
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
        return "\(error)"
    }
}
