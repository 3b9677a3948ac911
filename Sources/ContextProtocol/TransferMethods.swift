package import JSONRPC

/// One page of every stored record of a project (or of all projects), in the export file's record form.
/// See `exportRecords`.
package enum ExportRecords: RPCMethod {
    package static let name = "exportRecords"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        /// A project, `*` for every project; the default project when absent.
        package var project: String?
        package var cursor: String?
        /// Records per page, 1…1000 (default 500); audit rows come with their items and are not counted.
        package var limit: Int?
        package enum CodingKeys: String, CodingKey, CaseIterable { case project, cursor, limit }
    }

    package struct Result: Codable, Hashable, Sendable {
        package var format: String
        package var version: Int
        /// Records as in the lines of `memctx export` (each with its `type`), without header and end lines.
        package var records: [JSONValue]
        package var nextCursor: String?
        package var source: WireStorage

        package init(format: String, version: Int, records: [JSONValue], nextCursor: String?, source: WireStorage) {
            self.format = format
            self.version = version
            self.records = records
            self.nextCursor = nextCursor
            self.source = source
        }
    }
}

/// Writes records from an export that are not stored yet. See `importRecords`.
package enum ImportRecords: RPCMethod {
    package static let name = "importRecords"

    package struct Params: Codable, Hashable, Sendable, StrictParams {
        /// Records as `exportRecords` returns them (1…5000), sessions before their checkpoints.
        package var records: [JSONValue]
        package enum CodingKeys: String, CodingKey, CaseIterable { case records }
    }

    package struct Issue: Codable, Hashable, Sendable {
        package var kind: String
        package var key: String
        package var reason: String

        package init(kind: String, key: String, reason: String) {
            self.kind = kind
            self.key = key
            self.reason = reason
        }
    }

    package struct Result: Codable, Hashable, Sendable {
        /// Records written, by type.
        package var inserted: [String: Int]
        /// Records whose id was stored already (left as they are), by type.
        package var existing: [String: Int]
        package var audits: Int
        package var skipped: [Issue]
        package var droppedReferences: [Issue]
        package var stored: WireStorage

        package init(
            inserted: [String: Int], existing: [String: Int], audits: Int, skipped: [Issue], droppedReferences: [Issue],
            stored: WireStorage
        ) {
            self.inserted = inserted
            self.existing = existing
            self.audits = audits
            self.skipped = skipped
            self.droppedReferences = droppedReferences
            self.stored = stored
        }
    }
}
