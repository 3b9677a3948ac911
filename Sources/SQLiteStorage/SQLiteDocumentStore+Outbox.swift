package import ContextCore
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// The outbox: changes written here and not yet in the central repository (DESIGN.md §6).
///
/// A write queues its change in its own transaction, so an acknowledged write is never without one. A
/// replayer claims changes for a while (`claimed_by`, `claimed_until`), pushes them, and deletes them; a claim
/// that runs out (its process died) makes the change available again. Several processes sharing the file
/// claim disjoint changes, because claiming is one write transaction.
extension SQLiteDocumentStore {
    /// Queues an upsert of the item unless one is already waiting unclaimed (pushing reads the item's current
    /// state, so one queued change covers any number of writes).
    func queueChange(_ kind: ItemKind, _ id: ItemID, _ operation: OutboxOperation, frequencyDelta: Int = 0, in db: Database)
        throws
    {
        guard recordsChanges else { return }
        // Written here: no longer a cached copy that may be forgotten.
        try db.run(sql: "DELETE FROM cached_items WHERE item_kind = ? AND item_id = ?", arguments: [kind.rawValue, id.description])
        if frequencyDelta != 0 {
            // Each merge is its own change: the central repository adds them up once each.
            try db.run(
                sql: "INSERT INTO outbox (item_kind, item_id, operation, created_at, frequency_delta) VALUES (?, ?, ?, ?, ?)",
                arguments: [kind.rawValue, id.description, operation.rawValue, Millis(Date()), frequencyDelta]
            )
            return
        }
        try db.run(
            sql: """
                INSERT INTO outbox (item_kind, item_id, operation, created_at)
                SELECT ?, ?, ?, ? WHERE NOT EXISTS (
                    SELECT 1 FROM outbox WHERE item_kind = ? AND item_id = ? AND operation = ? AND claimed_by IS NULL)
                """,
            arguments: [kind.rawValue, id.description, operation.rawValue, Millis(Date()), kind.rawValue, id.description, operation.rawValue]
        )
    }

    /// Queues a session's purge, dropping the changes still waiting for it and its checkpoints (the purge
    /// wins over them).
    func queuePurge(of id: ItemID, in db: Database) throws {
        guard recordsChanges else { return }
        try db.run(
            sql: """
                DELETE FROM outbox WHERE claimed_by IS NULL AND ((item_kind = 'session' AND item_id = ?)
                    OR (item_kind = 'checkpoint' AND item_id IN (SELECT id FROM checkpoints WHERE session_id = ?)))
                """,
            arguments: [id.description, id.description]
        )
        try queueChange(.session, id, .purge, in: db)
    }

    /// Claims up to `limit` waiting changes, oldest first (only those of `items` when given), for `lease`.
    package func claimChanges(
        owner: String, limit: Int, lease: Duration, items: [ItemReference]? = nil, now immediately: Bool = false
    ) async throws -> [OutboxChange] {
        let now = Millis(Date())
        let until = now.value + Int64(lease.components.seconds * 1000)
        // Unclaimed, or claimed and run out; a change waiting to be retried (no owner, a time) only when due.
        var conditions =
            immediately ? "(claimed_by IS NULL OR claimed_until < ?)" : "(claimed_until IS NULL OR claimed_until < ?)"
        var arguments = StatementArguments([now.value])
        if let items {
            guard !items.isEmpty else { return [] }
            conditions += " AND item_id IN (\(Self.placeholders(items.count)))"
            arguments += StatementArguments(items.map(\.id.description))
        }
        let claimable = conditions
        let claimArguments = arguments
        return try await database.write { db in
            try Self.releaseClaimsOfEndedProcesses(in: db)
            let rows = try db.rows(
                sql: """
                    UPDATE outbox SET claimed_by = ?, claimed_until = ?
                    WHERE id IN (SELECT id FROM outbox WHERE \(claimable) ORDER BY id LIMIT ?)
                    RETURNING id, item_kind, item_id, operation, created_at, attempts, frequency_delta
                    """,
                arguments: StatementArguments([owner.databaseValue, until.databaseValue]) + claimArguments + [limit]
            )
            return rows.compactMap { row -> OutboxChange? in
                guard let kind = ItemKind(rawValue: row["item_kind"]), let id = SQLiteValues.id(row, "item_id"),
                    let operation = OutboxOperation(rawValue: row["operation"])
                else { return nil }
                return OutboxChange(
                    sequence: row["id"], item: ItemReference(kind: kind, id: id), operation: operation,
                    queuedAt: SQLiteValues.date(row, "created_at") ?? Date(), attempts: row["attempts"],
                    frequencyDelta: row["frequency_delta"])
            }.sorted { $0.sequence < $1.sequence }
        }
    }

    /// Claims are named `<pid>-<random>`, and every process sharing the file runs on this machine: a claim of
    /// a process that is gone need not wait for its lease to run out.
    private static func releaseClaimsOfEndedProcesses(in db: Database) throws {
        let owners = try String.fetchAll(db, sql: "SELECT DISTINCT claimed_by FROM outbox WHERE claimed_by IS NOT NULL")
        for owner in owners {
            guard let pid = Int32(owner.prefix { $0 != "-" }), pid > 0 else { continue }
            if kill(pid, 0) == -1, errno == ESRCH {
                try db.run(sql: "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?", arguments: [owner])
            }
        }
    }

    /// Gives back every claim of `owner` (a process shutting down), so others need not wait for the leases.
    package func releaseClaims(owner: String) async throws {
        try await database.write { db in
            try db.run(sql: "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = ?", arguments: [owner])
        }
    }

    /// Deletes changes that reached the central repository.
    package func completeChanges(_ sequences: [Int64], owner: String) async throws {
        guard !sequences.isEmpty else { return }
        try await database.write { db in
            try db.run(
                sql: "DELETE FROM outbox WHERE claimed_by = ? AND id IN (\(Self.placeholders(sequences.count)))",
                arguments: StatementArguments([owner] + sequences.map { $0 as any DatabaseValueConvertible })
            )
        }
    }

    /// Gives changes back after a failed push: tried again after `retryAfter`, with the error kept for `health`.
    package func releaseChanges(_ sequences: [Int64], owner: String, error: String, retryAfter: Duration, counted: Bool)
        async throws
    {
        guard !sequences.isEmpty else { return }
        let retry = Millis(Date()).value + Int64(retryAfter.components.seconds * 1000 + retryAfter.components.attoseconds / 1_000_000_000_000_000)
        try await database.write { db in
            try db.run(
                sql: """
                    UPDATE outbox SET claimed_by = NULL, claimed_until = ?, attempts = attempts + ?, last_error = ?
                    WHERE claimed_by = ? AND id IN (\(Self.placeholders(sequences.count)))
                    """,
                arguments: StatementArguments(
                    [retry, counted ? 1 : 0, String(error.prefix(500)), owner] + sequences.map { $0 as any DatabaseValueConvertible })
            )
        }
    }

    /// Waiting changes: how many, the oldest one's time, and the last error a push met.
    package func outboxSummary() async throws -> OutboxSummary {
        try await database.read { db in
            let row = try db.row(sql: "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox")
            let lastError = try String.fetchOne(
                db, sql: "SELECT last_error FROM outbox WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 1")
            return OutboxSummary(
                pending: row?["n"] ?? 0,
                oldest: (row?["oldest"] as Int64?).map(Millis.date),
                lastError: lastError
            )
        }
    }

    /// Whether any change waits for the central repository (a change that failed `stuckAfter` times for a
    /// reason other than reachability no longer counts: it is reported, and must not keep every read local).
    package func hasPendingChanges() async throws -> Bool {
        try await database.read { db in
            try db.exists(sql: "SELECT 1 FROM outbox WHERE attempts < ? LIMIT 1", arguments: [Self.stuckAfter])
        }
    }

    /// Failed pushes after which a change stops holding reads on the local database.
    static let stuckAfter = 5

    /// The stored vectors of these items by `model`, with the metadata a central index filters on.
    package func embeddings(_ kind: ItemKind, ids: [ItemID], model: String) async throws -> [ItemEmbedding] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in try Self.fetchEmbeddings(kind, ids: ids, model: model, in: db) }
    }

    static func fetchEmbeddings(_ kind: ItemKind, ids: [ItemID], model: String, in db: Database) throws -> [ItemEmbedding] {
        let (join, columns) = Self.itemJoin(kind)
        // Identifiers come from the constants of `itemJoin`.
        return try db.rows(
            sql: """
                SELECT e.item_id, e.vector, e.created_at, i.privacy_level, \(columns)
                FROM embeddings e \(join)
                WHERE e.kind = ? AND e.model = ? AND e.item_id IN (\(Self.placeholders(ids.count)))
                """,
            arguments: StatementArguments([kind.rawValue, model] + ids.map(\.description))
        ).compactMap { row in
            guard let id = SQLiteValues.id(row, "item_id"), let data = row["vector"] as Data? else { return nil }
            return ItemEmbedding(
                kind: kind, id: id, model: model, vector: Self.floats(data),
                createdAt: SQLiteValues.date(row, "created_at") ?? Date(timeIntervalSince1970: 0),
                project: row["project"],
                patternType: (row["pattern_type"] as String?).flatMap(PatternType.init(rawValue:)),
                sessionID: SQLiteValues.id(row, "session_id"),
                privacyLevel: (row["privacy_level"] as String?).flatMap(PrivacyLevel.init(rawValue:))
            )
        }
    }

    package func replicaID() async throws -> String {
        try await database.write { db in
            try db.run(
                sql: """
                    INSERT INTO sync_state(key, value, updated_at) VALUES ('replica_id', ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))
                    ON CONFLICT(key) DO NOTHING
                    """,
                arguments: [UUID().uuidString.lowercased()]
            )
            return try String.fetchOne(db, sql: "SELECT value FROM sync_state WHERE key = 'replica_id'") ?? "unknown"
        }
    }

    package func cacheEmbeddings(_ embeddings: [ItemEmbedding]) async throws {
        guard !embeddings.isEmpty else { return }
        try await database.write { db in
            for embedding in embeddings { try Self.insert(embedding, in: db) }
        }
    }

    package func pushSnapshot(of item: ItemReference, change sequence: Int64, model: String?) async throws
        -> PushSnapshot
    {
        try await database.read { db in
            let id = item.id.description
            var snapshot = PushSnapshot(item: try Self.fetchItems(item.kind, ids: [item.id], in: db).first)
            switch snapshot.item {
            case .checkpoint(let checkpoint)?:
                snapshot.session = try Self.fetchSessions(db, where: "s.id = ?", [checkpoint.sessionID.description]).first
            case .pattern?:
                snapshot.otherDelta =
                    try Int.fetchOne(
                        db,
                        sql: "SELECT coalesce(sum(frequency_delta), 0) FROM outbox WHERE item_kind = 'pattern' AND item_id = ? AND id <> ?",
                        arguments: [id, sequence]
                    ) ?? 0
            case .session?: break
            case nil: return snapshot
            }
            snapshot.audits = try db.rows(
                sql: "SELECT * FROM privacy_audit WHERE item_kind = ? AND item_id = ? ORDER BY id",
                arguments: [item.kind.rawValue, id]
            ).map(SQLiteValues.audit)
            if let model { snapshot.embeddings = try Self.fetchEmbeddings(item.kind, ids: [item.id], model: model, in: db) }
            return snapshot
        }
    }

    /// Copies of central items kept at most (the oldest are forgotten first); items written here are never
    /// forgotten.
    static let cacheCapacity = 20_000

    package func cache(_ items: [FoundItem]) async throws {
        guard !items.isEmpty else { return }
        try await database.write { db in
            let now = Millis(Date())
            for item in items {
                let id = item.id.description
                // A change waiting to be pushed is newer than anything read from the central repository.
                if try db.exists(sql: "SELECT 1 FROM outbox WHERE item_id = ?", arguments: [id]) { continue }
                let cached: Bool
                switch item {
                case .session(let session):
                    cached = try Self.cacheIfNewer(table: "sessions", id: id, updatedAt: session.updatedAt, in: db) {
                        try Self.upsert(session, in: db)
                        try Self.replaceTags(session.tags, of: session.id, table: "session_tags", column: "session_id", in: db)
                    }
                case .pattern(let pattern):
                    cached = try Self.cacheIfNewer(table: "patterns", id: id, updatedAt: pattern.updatedAt, in: db) {
                        try Self.upsert(pattern, in: db)
                        try Self.replaceTags(pattern.tags, of: pattern.id, table: "pattern_tags", column: "pattern_id", in: db)
                    }
                case .checkpoint(let checkpoint):
                    // Append-only: kept once, and only under a session held here.
                    let known = try db.exists(sql: "SELECT 1 FROM checkpoints WHERE id = ?", arguments: [id])
                    let sessionHeld = try db.exists(sql: "SELECT 1 FROM sessions WHERE id = ?", arguments: [checkpoint.sessionID.description])
                    cached = !known && sessionHeld
                    if cached { try Self.insert(checkpoint, in: db) }
                }
                if cached {
                    try db.run(
                        sql: "INSERT OR REPLACE INTO cached_items (item_kind, item_id, cached_at) VALUES (?, ?, ?)",
                        arguments: [item.kind.rawValue, id, now]
                    )
                }
            }
            try Self.forgetOldCopies(in: db)
        }
    }

    /// Runs `write` when the local copy is missing or older, and the item is a copy or missing (never over
    /// an item written here).
    private static func cacheIfNewer(table: String, id: String, updatedAt: Date, in db: Database, write: () throws -> Void)
        throws -> Bool
    {
        // The table name comes from the callers' constants.
        if let local = try Int64.fetchOne(db, sql: "SELECT updated_at FROM \(table) WHERE id = ?", arguments: [id]) {
            let isCopy = try db.exists(sql: "SELECT 1 FROM cached_items WHERE item_id = ?", arguments: [id])
            guard isCopy, local < Millis(updatedAt).value else { return false }
        }
        try write()
        return true
    }

    /// Deletes the oldest copies beyond `cacheCapacity` (a session with checkpoints written here is kept).
    private static func forgetOldCopies(in db: Database) throws {
        let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM cached_items") ?? 0
        guard count > cacheCapacity else { return }
        let excess = count - cacheCapacity + cacheCapacity / 10
        let rows = try db.rows(
            sql: "SELECT item_kind, item_id FROM cached_items ORDER BY cached_at, item_id LIMIT ?", arguments: [excess])
        for row in rows {
            let kind: String = row["item_kind"]
            let id: String = row["item_id"]
            switch kind {
            case "session":
                let ownCheckpoints = try db.exists(
                    sql: """
                        SELECT 1 FROM checkpoints c WHERE c.session_id = ?
                        AND NOT EXISTS (SELECT 1 FROM cached_items k WHERE k.item_kind = 'checkpoint' AND k.item_id = c.id)
                        """,
                    arguments: [id]
                )
                if ownCheckpoints { continue }
                try db.run(sql: "DELETE FROM cached_items WHERE item_kind = 'checkpoint' AND item_id IN (SELECT id FROM checkpoints WHERE session_id = ?)", arguments: [id])
                try db.run(sql: "DELETE FROM embeddings WHERE kind = 'session' AND item_id = ?", arguments: [id])
                try db.run(sql: "DELETE FROM sessions WHERE id = ?", arguments: [id])
            case "checkpoint":
                try db.run(sql: "DELETE FROM embeddings WHERE kind = 'checkpoint' AND item_id = ?", arguments: [id])
                try db.run(sql: "DELETE FROM checkpoints WHERE id = ?", arguments: [id])
            default:
                try db.run(sql: "DELETE FROM embeddings WHERE kind = 'pattern' AND item_id = ?", arguments: [id])
                try db.run(sql: "DELETE FROM patterns WHERE id = ?", arguments: [id])
            }
            try db.run(sql: "DELETE FROM cached_items WHERE item_kind = ? AND item_id = ?", arguments: [kind, id])
        }
    }
}

extension SQLiteDocumentStore: LocalReplica {}
