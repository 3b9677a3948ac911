import ContextCore
import ContextTesting
import Foundation
import Testing

@Suite("Export files, timestamps and checksums")
struct TransferFileTests {
    @Test func sha256MatchesTheStandardVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    @Test(
        "legacy time forms",
        arguments: [
            ("2025-03-01 10:00:00", "2025-03-01T10:00:00.000Z"),
            ("2025-03-01T10:00:00Z", "2025-03-01T10:00:00.000Z"),
            ("2025-03-01T10:00:00", "2025-03-01T10:00:00.000Z"),
            ("2025-03-01T12:00:00.123456+02:00", "2025-03-01T10:00:00.123Z"),
            ("2025-03-01T10:00:00.5-0130", "2025-03-01T11:30:00.500Z"),
            ("2025-03-01", "2025-03-01T00:00:00.000Z"),
            ("1740823200", "2025-03-01T10:00:00.000Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
            ("2024-02-29 23:59:59", "2024-02-29T23:59:59.000Z"),
        ]
    )
    func timestampsParse(text: String, expected: String) throws {
        let date = try #require(Timestamp.parse(text), "\(text) did not parse")
        #expect(Timestamp.iso8601(date) == expected)
    }

    @Test(arguments: ["yesterday", "2025-13-01", "2025-03-01 25:00:00", "2025-03-01T10:00:00Zjunk", "", "03/01/2025"])
    func notATime(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func legacyIDsAreStableVersion8AndDistinct() {
        let first = ItemID.legacy("sessions", "sess-1")
        #expect(first == ItemID.legacy("sessions", "sess-1"))
        #expect(first != ItemID.legacy("sessions", "sess-2"))
        #expect(first != ItemID.legacy("patterns", "sess-1"))
        let text = first.description
        #expect(text[text.index(text.startIndex, offsetBy: 14)] == "8")
    }

    private func file(_ batch: RecordBatch) throws -> Data {
        var writer = TransferFile.Writer()
        var data = try writer.encode(.header(TransferFile.Header(exportedAt: TransferSamples.start, scope: "*", generator: "test")))
        data += try writer.encode(batch)
        data += try writer.finish()
        return data
    }

    @Test func aFileReadsBackToTheSameRecords() throws {
        let batch = TransferSamples.batch()
        let read = try TransferFile.read(try file(batch))
        #expect(read.batch.canonical == batch.canonical)
        #expect(read.header.version == TransferFile.version)
        #expect(read.counts["session"] == 3 && read.counts["privacyAudit"] == 3)
        // Every line is one JSON object with a type, and JSON fields stay text.
        let lines = String(decoding: try file(batch), as: UTF8.self).split(separator: "\n")
        #expect(lines.first?.contains(#""type":"header""#) == true)
        #expect(lines.last?.contains(#""type":"end""#) == true)
        #expect(lines.contains { $0.contains(#""metadataJson":"{\"agent\""#) })
    }

    @Test func aTruncatedFileIsRefused() throws {
        let data = try file(TransferSamples.batch())
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        let withoutEnd = Data(lines.dropLast(2).joined(separator: [0x0A])) + Data([0x0A])
        #expect(throws: ContextError.self) { try TransferFile.read(withoutEnd) }
        do {
            _ = try TransferFile.read(withoutEnd)
        } catch {
            #expect(error.message.contains("truncated"), "\(error.message)")
        }
        let cut = data.prefix(data.count / 2)
        do {
            _ = try TransferFile.read(Data(cut))
            Issue.record("a file cut in the middle was read")
        } catch {
            #expect(error.message.contains("truncated"), "\(error.message)")
        }
    }

    @Test func anEditedFileIsRefused() throws {
        let text = String(decoding: try file(TransferSamples.batch()), as: UTF8.self)
        let edited = text.replacingOccurrences(of: "Login form", with: "Login FORM")
        do {
            _ = try TransferFile.read(Data(edited.utf8))
            Issue.record("an edited file was read")
        } catch {
            #expect(error.message.contains("checksum"), "\(error.message)")
        }
    }

    @Test func otherFilesAreRefusedWithTheReason() throws {
        func message(_ text: String) -> String {
            do {
                _ = try TransferFile.read(Data(text.utf8))
                return "read"
            } catch {
                return error.message
            }
        }
        #expect(message("").contains("empty"))
        #expect(message(#"{"type":"session","id":"x"}"# + "\n").contains("not a memctx export"))
        let newer = #"{"type":"header","format":"memctx-export","version":99,"exportedAt":"2026-01-01T00:00:00.000Z","scope":"*","generator":"x"}"#
        #expect(message(newer + "\n").contains("upgrade memctx"))
        let header = #"{"type":"header","format":"memctx-export","version":1,"exportedAt":"2026-01-01T00:00:00.000Z","scope":"*","generator":"x"}"#
        #expect(message(header + "\n" + #"{"type":"wat"}"# + "\n").contains("'wat' is not a record type"))
        #expect(message(header + "\n" + #"{"type":"session","id":"not-a-uuid"}"# + "\n").contains("line 2"))
    }

    @Test func validationRejectsRecordsThatBreakABound() {
        var batch = TransferSamples.batch()
        batch.patterns[0].confidence = 1.5
        batch.sessions[2].privacyLevel = .ephemeral
        batch.checkpoints[0].metadataJSON = "[1,2]"
        let (valid, rejected) = batch.validated()
        #expect(valid.patterns.count == 1 && valid.sessions.count == 2 && valid.checkpoints.count == 1)
        #expect(rejected.map(\.kind).sorted() == ["checkpoint", "pattern", "session"])
        #expect(rejected.contains { $0.reason.contains("'confidence' must be between 0 and 1") })
        #expect(rejected.contains { $0.reason.contains("must be a JSON object") })
    }
}
