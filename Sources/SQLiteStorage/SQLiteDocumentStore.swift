import ContextCore
import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// Settings of the embedded database.
package struct SQLiteStorageConfiguration: Sendable {
    /// The database file; its folder is created with mode 0700 and the file with mode 0600.
    package var path: String
    /// How long a write waits for another process's write lock before failing.
    package var busyTimeout: Duration = .seconds(15)
    /// Whether every write also queues a change in the `outbox`, in its transaction, for the central
    /// repository (ContextSync sets it when one is configured).
    package var recordsChanges = false

    package init(path: String) { self.path = path }
}

/// The local repository: a `DocumentStore` on SQLite (GRDB), in WAL mode, with FTS5 for lexical search.
///
/// One `DatabasePool` per file for the process lifetime; several processes may share the file (writes
/// wait for each other up to `busyTimeout`).
package final class SQLiteDocumentStore: DocumentStore {
    let database: any DatabaseWriter
    /// Word counts of the FTS5 indexes, for planning lexical queries.
    let termStatistics = TermStatistics()
    package let path: String?
    /// Whether writes queue changes in the outbox (see `SQLiteStorageConfiguration.recordsChanges`).
    package let recordsChanges: Bool

    /// Opens (creating if needed) the database file and migrates it.
    package init(configuration: SQLiteStorageConfiguration) throws {
        try Self.prepareFile(at: configuration.path)
        var grdb = Self.makeConfiguration()
        grdb.busyMode = .timeout(Double(configuration.busyTimeout.components.seconds))
        // Processes starting together must not migrate at once (the migrator checks, then applies): a lock
        // file serialises opening and migrating.
        let lock = try Self.lockFile(for: configuration.path)
        defer {
            flock(lock, LOCK_UN)
            close(lock)
        }
        database = try DatabasePool(path: configuration.path, configuration: grdb)
        path = configuration.path
        recordsChanges = configuration.recordsChanges
        try SQLiteSchema.migrator.migrate(database)
    }

    /// Opens `<path>.lock` (mode 0600) and takes an exclusive lock on it, waiting for other processes.
    private static func lockFile(for path: String) throws -> Int32 {
        let descriptor = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ContextError(.backendUnavailable, "cannot create the local database lock file (errno \(errno))")
        }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                close(descriptor)
                throw ContextError(.backendUnavailable, "cannot lock the local database (errno \(errno))")
            }
        }
        return descriptor
    }

    /// An in-memory database, for tests.
    package init(inMemory: Void = (), recordsChanges: Bool = false) throws {
        database = try DatabaseQueue(configuration: Self.makeConfiguration())
        path = nil
        self.recordsChanges = recordsChanges
        try SQLiteSchema.migrator.migrate(database)
    }

    private static func makeConfiguration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.label = "memctx"
        configuration.prepareDatabase { db in
            // Deleted content is overwritten with zeros, so purged text does not linger in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // WAL + NORMAL: a commit survives a crash of the process (the WAL is in the OS's hands);
            // only a power failure may lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Reads of the FTS index and tables come from a memory map and a 16 MiB page cache. (SQLite drops
            // a reader's map when another connection has written since its last read, and the munmap costs a
            // TLB flush on every core; without the map, lexical search at 100,000 patterns is 2–3 times
            // slower: docs/performance.md.)
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            try db.execute(sql: "PRAGMA cache_size = -16384")
            // The commit that grows the WAL past this many pages copies it into the database file (with an
            // fsync) before it returns. At SQLite's default of 1,000 pages (a save writes about 15) one save in
            // 65 paid for that, which was saveCheckpoint's p99 (6 ms); at 10,000 (a WAL of up to 40 MiB) one
            // save in about 650 pays ten times as much (docs/performance.md).
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
        }
        return configuration
    }

    /// Creates the folder (0700) and the file (0600) before SQLite opens it, so neither is ever readable by
    /// others, even for an instant.
    private static func prepareFile(at path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(
                atPath: folder,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        if !FileManager.default.fileExists(atPath: path) {
            let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw ContextError(.backendUnavailable, "cannot create the local database file (errno \(errno))")
            }
            close(descriptor)
        }
    }

    /// The schema version recorded in `db_metadata`.
    package func schemaVersion() async throws -> String? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM db_metadata WHERE key = 'schema_version'")
        }
    }

    /// Names of the migrations applied, in order.
    package func appliedMigrations() async throws -> [String] {
        try await database.read { db in try SQLiteSchema.migrator.appliedMigrations(db) }
    }

    /// Runs a read-only SQL query (tests and diagnostics).
    package func fetchStrings(_ sql: String, arguments: [String] = []) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
        }
    }

    /// Size of the database file(s) in bytes, 0 in memory.
    package func fileSize() -> Int64 {
        guard let path else { return 0 }
        return [path, path + "-wal"].reduce(0) { total, file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
            return total + (size ?? 0)
        }
    }
}
