import ContextCore
import ContextProtocol
import Foundation
import JSONRPC

extension MethodRegistry {
    /// `exportRecords`, `importRecords`: `memctx export` and `memctx import` for editor plugins.
    mutating func registerTransfer(_ service: ContextService) {
        register(ExportRecords.self) { params, _ in
            let limit = params.limit ?? 500
            guard (1...1000).contains(limit) else { throw ContextError.invalid("limit", "must be between 1 and 1000") }
            let page = try await service.exportPage(scope: try service.scope(for: params.project), cursor: params.cursor, limit: limit)
            var writer = TransferFile.Writer()
            let data = try writer.encode(page.batch)
            var records: [JSONValue] = []
            let decoder = JSONDecoder()
            for line in data.split(separator: 0x0A) { records.append(try decoder.decode(JSONValue.self, from: Data(line))) }
            return ExportRecords.Result(
                format: TransferFile.format, version: TransferFile.version, records: records, nextCursor: page.next,
                source: WireMapping.storage(await service.readLocation()))
        }
        register(ImportRecords.self) { params, _ in
            guard (1...5000).contains(params.records.count) else {
                throw ContextError.invalid("records", "must hold 1 to 5000 records (send more in several calls)")
            }
            var batch = RecordBatch()
            let encoder = JSONEncoder()
            for (index, record) in params.records.enumerated() {
                let line: TransferFile.Line
                do {
                    line = try TransferFile.decode(try encoder.encode(record))
                } catch let error as ContextError {
                    throw ContextError.invalid("records[\(index)]", error.message)
                } catch {
                    throw ContextError.invalid("records[\(index)]", "is not an export record: \(TransferFile.describe(error))")
                }
                switch line {
                case .session(let session): batch.sessions.append(session)
                case .checkpoint(let checkpoint): batch.checkpoints.append(checkpoint)
                case .pattern(let pattern): batch.patterns.append(pattern)
                case .contextLoad(let load): batch.contextLoads.append(load)
                case .privacyAudit(let audit): batch.audits.append(audit)
                case .header, .end: continue
                }
            }
            let (counts, stored) = try await service.importRecords(batch)
            func issues(_ list: [ImportIssue]) -> [ImportRecords.Issue] {
                list.map { ImportRecords.Issue(kind: $0.kind, key: $0.key, reason: $0.reason) }
            }
            return ImportRecords.Result(
                inserted: Dictionary(uniqueKeysWithValues: counts.inserted.map { ($0.key.rawValue, $0.value) }),
                existing: Dictionary(uniqueKeysWithValues: counts.existing.map { ($0.key.rawValue, $0.value) }),
                audits: counts.audits, skipped: issues(counts.skipped), droppedReferences: issues(counts.droppedReferences),
                stored: WireMapping.storage(stored))
        }
    }
}
