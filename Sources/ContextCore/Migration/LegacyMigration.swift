import Foundation

/// Runs a migration plan against a repository: writes it in batches, reads everything back to validate
/// it, and has the caller embed what was written. Nothing of the source is touched here.
package struct LegacyMigration: Sendable {
    package let transfer: any RecordTransfer
    package var batchSize = 500

    package init(transfer: any RecordTransfer) {
        self.transfer = transfer
    }

    /// What `plan` would do to the repository (`dryRun`), or does, with the validation report.
    package func run(
        _ plan: LegacyMigrationPlan,
        dryRun: Bool,
        progress: (_ stage: String, _ done: Int, _ total: Int) -> Void = { _, _, _ in }
    ) async throws(ContextError) -> MigrationReport {
        var report = MigrationReport(dryRun: dryRun, plan: plan)
        let before = try await readBack(plan, progress: progress)
        report.alreadyPresent = before.presentCounts
        report.noteBefore(before)
        if dryRun {
            report.finish(readBack: nil)
            return report
        }
        let writing = ContinuousClock.now
        var counts = ImportCounts()
        var done = 0
        let total = plan.batch.count
        progress("writing", 0, total)
        for chunk in plan.batch.chunks(of: batchSize) {
            do {
                counts.add(try await transfer.importRecords(chunk))
            } catch let error as ContextError {
                throw error
            } catch {
                throw ContextError(.backendUnavailable, "the repository failed while importing records", underlying: error)
            }
            done += chunk.count
            progress("writing", done, total)
        }
        report.noteImported(counts)
        let verifying = ContinuousClock.now
        report.seconds["write"] = Self.seconds(verifying - writing)
        report.finish(readBack: try await readBack(plan, progress: progress))
        report.seconds["verify"] = Self.seconds(ContinuousClock.now - verifying)
        let rows = plan.batch.count + plan.batch.audits.count
        if let seconds = report.seconds["write"], seconds > 0 { report.rowsPerSecond = (Double(rows) / seconds).rounded() }
        return report
    }

    static func seconds(_ duration: Duration) -> Double {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return (value * 1000).rounded() / 1000
    }

    /// Every stored record, kept when the plan names it.
    private func readBack(_ plan: LegacyMigrationPlan, progress: (String, Int, Int) -> Void) async throws(ContextError) -> ReadBack {
        var result = ReadBack(plan: plan)
        for (index, kind) in RecordKind.allCases.enumerated() {
            var cursor: String?
            repeat {
                let page: (batch: RecordBatch, next: String?)
                do {
                    page = try await transfer.exportRecords(kind, scope: .all, after: cursor, limit: 1000)
                } catch let error as ContextError {
                    throw error
                } catch {
                    throw ContextError(.backendUnavailable, "the repository failed while reading records back", underlying: error)
                }
                result.add(page.batch)
                cursor = page.next
            } while cursor != nil
            progress("reading back", index + 1, RecordKind.allCases.count)
        }
        return result
    }
}

/// The stored records of a repository that a plan is about.
struct ReadBack {
    let planned: Set<ItemID>
    var sessions: [ItemID: Session] = [:]
    var checkpoints: [ItemID: Checkpoint] = [:]
    var patterns: [ItemID: Pattern] = [:]
    var contextLoads: [ItemID: ContextLoad] = [:]
    var audits: [ItemID: Int] = [:]
    /// Every stored session and pattern id, to check references.
    var allSessions: Set<ItemID> = []
    var allPatterns: Set<ItemID> = []

    init(plan: LegacyMigrationPlan) {
        let batch = plan.batch
        planned = Set(batch.sessions.map(\.id) + batch.checkpoints.map(\.id) + batch.patterns.map(\.id) + batch.contextLoads.map(\.id))
    }

    mutating func add(_ batch: RecordBatch) {
        allSessions.formUnion(batch.sessions.map(\.id))
        allPatterns.formUnion(batch.patterns.map(\.id))
        for session in batch.sessions where planned.contains(session.id) { sessions[session.id] = session }
        for checkpoint in batch.checkpoints where planned.contains(checkpoint.id) { checkpoints[checkpoint.id] = checkpoint }
        for pattern in batch.patterns where planned.contains(pattern.id) { patterns[pattern.id] = pattern }
        for load in batch.contextLoads where planned.contains(load.id) { contextLoads[load.id] = load }
        for audit in batch.audits where planned.contains(audit.itemID) { audits[audit.itemID, default: 0] += 1 }
    }

    var presentCounts: [String: Int] {
        ["sessions": sessions.count, "checkpoints": checkpoints.count, "patterns": patterns.count, "context_loads": contextLoads.count]
    }
}

extension RecordBatch {
    /// The batch cut into batches of at most `size` records, kinds in order, each item's audits with it.
    package func chunks(of size: Int) -> [RecordBatch] {
        let auditsByItem = Dictionary(grouping: audits, by: \.itemID)
        var chunks: [RecordBatch] = []
        var current = RecordBatch()
        func flushIfFull() {
            if current.count >= size {
                chunks.append(current)
                current = RecordBatch()
            }
        }
        for session in sessions {
            current.sessions.append(session)
            current.audits += auditsByItem[session.id] ?? []
            flushIfFull()
        }
        for checkpoint in checkpoints {
            current.checkpoints.append(checkpoint)
            current.audits += auditsByItem[checkpoint.id] ?? []
            flushIfFull()
        }
        for pattern in patterns {
            current.patterns.append(pattern)
            current.audits += auditsByItem[pattern.id] ?? []
            flushIfFull()
        }
        for load in contextLoads {
            current.contextLoads.append(load)
            flushIfFull()
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }
}
