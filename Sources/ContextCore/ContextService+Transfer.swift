import Foundation

extension ContextService {
    /// The store's bulk copying, when it has it (the SQLite, PostgreSQL and synchronised stores do).
    package var recordTransfer: (any RecordTransfer)? { store as? any RecordTransfer }

    /// One page of an export of `scope`: sessions, then checkpoints, patterns and context loads, each oldest
    /// first with their audit rows. `cursor` is the previous page's; the last page has none.
    package func exportPage(scope: ProjectScope, cursor: String?, limit: Int) async throws(ContextError)
        -> (batch: RecordBatch, next: String?)
    {
        guard let transfer = recordTransfer else { throw ContextError(.unsupported, "this repository cannot export records") }
        var position = try ExportCursor(cursor)
        var result = RecordBatch()
        while result.count < limit, let kind = position.kind {
            let page = try await storage("exporting records") {
                try await transfer.exportRecords(kind, scope: scope, after: position.inner, limit: limit - result.count)
            }
            result.append(page.batch)
            if let next = page.next {
                position.inner = next
            } else {
                position.advance()
            }
        }
        return (result, position.kind == nil ? nil : position.encoded)
    }

    /// Writes the records that pass validation and are not stored yet (docs/export.md), then embeds what
    /// it wrote when the model is there. Records already stored are left alone, so importing twice is safe.
    /// Returns what was written and where it is: with a central repository, `local` until every new item
    /// is pushed (the outbox pushes the rest).
    package func importRecords(_ batch: RecordBatch, embed: Bool = true) async throws(ContextError)
        -> (counts: ImportCounts, stored: StorageLocation)
    {
        guard let transfer = recordTransfer else { throw ContextError(.unsupported, "this repository cannot import records") }
        let (valid, rejected) = batch.validated()
        var counts = try await storage("importing records") { try await transfer.importRecords(valid) }
        counts.skipped = rejected + counts.skipped
        if embed, semantic != nil, counts.inserted.values.contains(where: { $0 > 0 }) {
            _ = try await reindex()
        }
        return (counts, counts.insertedItems.isEmpty ? await readLocation() : await stored(counts.insertedItems))
    }
}

/// Where an export stands: the kind being read and the store's cursor within it, base64url-encoded.
private struct ExportCursor {
    var index = 0
    var inner: String?

    init(_ text: String?) throws(ContextError) {
        guard let text else { return }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard text.count <= 300, let data = Data(base64Encoded: base64), let decoded = String(data: data, encoding: .utf8),
            let separator = decoded.firstIndex(of: ":"), let index = Int(decoded[..<separator]),
            RecordKind.allCases.indices.contains(index)
        else { throw .invalid("cursor", "is not a cursor returned by exportRecords") }
        self.index = index
        let rest = String(decoded[decoded.index(after: separator)...])
        inner = rest.isEmpty ? nil : rest
    }

    var kind: RecordKind? { RecordKind.allCases.indices.contains(index) ? RecordKind.allCases[index] : nil }

    mutating func advance() {
        index += 1
        inner = nil
    }

    var encoded: String {
        Data("\(index):\(inner ?? "")".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
