package import Foundation

/// Legacy MEMORY-CONTEXT databases for tests, made by Tests/Fixtures/legacy/make_legacy_db.py from the
/// legacy schema file (python3's sqlite3: a real SQLite file, as the legacy tool wrote them).
package enum LegacyFixture {
    /// What the generator made and what a correct migration makes of it.
    package struct Summary: Decodable, Sendable {
        /// Rows per legacy table.
        package var rows: [String: Int]
        /// Rows a correct migration writes, per table.
        package var expected: [String: Int]
        /// Rows a correct migration skips, per table.
        package var skipped: [String: Int]
        package var warningsAtLeast: Int
        package var createdSessions: Int
        /// Secrets written into session descriptions (redaction must remove them).
        package var secrets: [String]
    }

    package static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/legacy")

    /// Writes a legacy database at `path` (`--sessions N`, `--malformed`, `--variant minimal`, `--seed S`).
    package static func make(at path: String, _ arguments: [String] = []) throws -> Summary {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", directory.appendingPathComponent("make_legacy_db.py").path, path] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("make_legacy_db.py failed: \(String(decoding: problems, as: UTF8.self))")
        }
        return try JSONDecoder().decode(Summary.self, from: data)
    }

    package struct FixtureError: Error, CustomStringConvertible {
        package var description: String
        init(_ description: String) { self.description = description }
    }
}
