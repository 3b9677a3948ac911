package import Foundation

/// The export file: JSON lines, one record per line, each with a `type`.
///
/// ```
/// {"type":"header","format":"memctx-export","version":1,"exportedAt":"…","scope":"*","generator":"memctx 0.4.0"}
/// {"type":"session","id":"…","project":"…","title":"…", …}
/// {"type":"privacyAudit","itemKind":"session","itemId":"…", …}
/// {"type":"checkpoint", …} {"type":"pattern", …} {"type":"contextLoad", …}
/// {"type":"end","counts":{"session":12,…},"sha256":"…"}
/// ```
///
/// Sessions come first, then checkpoints, patterns and context loads, each oldest first, so every reference
/// points backwards; each item's audit rows follow it. The last line counts the records and carries the
/// SHA-256 of every line before it (with their newlines), so a truncated or edited file is refused before
/// anything is written. Times are ISO-8601 UTC with milliseconds, the precision every store keeps.
package enum TransferFile {
    package static let format = "memctx-export"
    /// Bumped when a reader of the previous version could misread a file; readers refuse newer versions.
    package static let version = 1

    package struct Header: Sendable, Hashable, Codable {
        package var format: String
        package var version: Int
        package var exportedAt: Date
        /// The project exported, or `*`.
        package var scope: String
        package var generator: String

        package init(exportedAt: Date, scope: String, generator: String) {
            self.format = TransferFile.format
            self.version = TransferFile.version
            self.exportedAt = exportedAt
            self.scope = scope
            self.generator = generator
        }
    }

    package struct Trailer: Sendable, Hashable, Codable {
        package var counts: [String: Int]
        package var sha256: String
    }

    package enum Line: Sendable, Hashable {
        case header(Header)
        case session(Session)
        case checkpoint(Checkpoint)
        case pattern(Pattern)
        case contextLoad(ContextLoad)
        case privacyAudit(PrivacyAudit)
        case end(Trailer)

        var type: String {
            switch self {
            case .header: "header"
            case .session: "session"
            case .checkpoint: "checkpoint"
            case .pattern: "pattern"
            case .contextLoad: "contextLoad"
            case .privacyAudit: "privacyAudit"
            case .end: "end"
            }
        }
    }

    /// Writes lines and keeps the running checksum and counts for the trailer.
    package struct Writer {
        private var hasher = SHA256()
        private var counts: [String: Int] = [:]

        package init() {}

        /// One line, newline included.
        package mutating func encode(_ line: Line) throws -> Data {
            var data = try TransferFile.encode(line)
            data.append(0x0A)
            hasher.update(data)
            if case .header = line {} else { counts[line.type, default: 0] += 1 }
            return data
        }

        package mutating func encode(_ batch: RecordBatch) throws -> Data {
            var data = Data()
            let audits = Dictionary(grouping: batch.audits, by: \.itemID)
            for session in batch.sessions {
                data += try encode(.session(session))
                for audit in audits[session.id] ?? [] { data += try encode(.privacyAudit(audit)) }
            }
            for checkpoint in batch.checkpoints {
                data += try encode(.checkpoint(checkpoint))
                for audit in audits[checkpoint.id] ?? [] { data += try encode(.privacyAudit(audit)) }
            }
            for pattern in batch.patterns {
                data += try encode(.pattern(pattern))
                for audit in audits[pattern.id] ?? [] { data += try encode(.privacyAudit(audit)) }
            }
            for load in batch.contextLoads { data += try encode(.contextLoad(load)) }
            return data
        }

        /// The last line.
        package mutating func finish() throws -> Data {
            var copy = hasher
            let digest = copy.finalize().hexString
            var data = try TransferFile.encode(.end(Trailer(counts: counts, sha256: digest)))
            data.append(0x0A)
            return data
        }
    }

    /// A whole file read back: its header and its records in order. Throws `invalidInput` naming the line
    /// for anything that is not a complete, intact export of a version this build reads.
    package static func read(_ data: Data) throws(ContextError) -> (header: Header, batch: RecordBatch, counts: [String: Int]) {
        var hasher = SHA256()
        var header: Header?
        var batch = RecordBatch()
        var counts: [String: Int] = [:]
        var lineNumber = 0
        var start = data.startIndex
        var trailer: Trailer?
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            let lineData = data[start..<end]
            let next = end < data.endIndex ? data.index(after: end) : end
            lineNumber += 1
            defer { start = next }
            if lineData.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            if trailer != nil { throw .invalid("line \(lineNumber)", "follows the end line of the export") }
            let line: Line
            do {
                line = try decode(Data(lineData))
            } catch where header == nil {
                throw .invalid("line \(lineNumber)", "must be the export header ({\"type\":\"header\",\"format\":\"memctx-export\",…}): this is not a memctx export")
            } catch let error as ContextError {
                throw ContextError(.invalidInput, "line \(lineNumber): \(error.message)", field: "line \(lineNumber)")
            } catch {
                if end == data.endIndex, header != nil {
                    throw ContextError(.invalidInput, "the export is truncated: its last line (\(lineNumber)) is cut short; nothing was imported", field: "file")
                }
                throw ContextError(.invalidInput, "line \(lineNumber) is not a valid export record: \(Self.describe(error))", field: "line \(lineNumber)")
            }
            if lineNumber == 1 || header == nil {
                guard case .header(let found) = line else {
                    throw .invalid("line \(lineNumber)", "must be the export header ({\"type\":\"header\",\"format\":\"memctx-export\",…}): this is not a memctx export")
                }
                guard found.format == format else { throw .invalid("format", "is '\(found.format)', not '\(format)'") }
                guard found.version <= version else {
                    throw .invalid("version", "is \(found.version); this memctx reads export versions up to \(version): upgrade memctx")
                }
                header = found
                hasher.update(data[start..<next])
                continue
            }
            switch line {
            case .header: throw .invalid("line \(lineNumber)", "is a second header")
            case .end(let found):
                trailer = found
                continue
            case .session(let session): batch.sessions.append(session)
            case .checkpoint(let checkpoint): batch.checkpoints.append(checkpoint)
            case .pattern(let pattern): batch.patterns.append(pattern)
            case .contextLoad(let load): batch.contextLoads.append(load)
            case .privacyAudit(let audit): batch.audits.append(audit)
            }
            counts[line.type, default: 0] += 1
            hasher.update(data[start..<next])
        }
        guard let header else { throw ContextError(.invalidInput, "the file is empty: not a memctx export", field: "file") }
        guard let trailer else {
            throw ContextError(
                .invalidInput, "the export is truncated: it has no end line (\(lineNumber) lines read); nothing was imported", field: "file")
        }
        guard trailer.counts == counts else {
            throw ContextError(
                .invalidInput, "the file holds \(describe(counts)) but its end line says \(describe(trailer.counts)): nothing was imported",
                field: "file")
        }
        guard hasher.finalize().hexString == trailer.sha256 else {
            throw ContextError(
                .invalidInput, "the file does not match the checksum of its end line (edited or damaged): nothing was imported", field: "file")
        }
        return (header, batch, counts)
    }

    private static func describe(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "no records" : counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    package static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .keyNotFound(let key, let context):
            return "'\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "'\(path)' \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private enum TypeKey: String, CodingKey { case type }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.iso8601(date))
        }
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "is not an ISO-8601 time")
            }
            return date
        }
        return decoder
    }()

    package static func encode(_ line: Line) throws -> Data {
        try encoder.encode(Envelope(line: line))
    }

    package static func decode(_ data: Data) throws -> Line {
        try decoder.decode(Envelope.self, from: data).line
    }

    /// `{"type": …}` merged with the record's own keys.
    private struct Envelope: Codable {
        var line: Line

        init(line: Line) { self.line = line }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: TypeKey.self)
            let type = try container.decode(String.self, forKey: .type)
            switch type {
            case "header": line = .header(try Header(from: decoder))
            case "session": line = .session(try Session(from: decoder))
            case "checkpoint": line = .checkpoint(try Checkpoint(from: decoder))
            case "pattern": line = .pattern(try Pattern(from: decoder))
            case "contextLoad": line = .contextLoad(try ContextLoad(from: decoder))
            case "privacyAudit": line = .privacyAudit(try PrivacyAudit(from: decoder))
            case "end": line = .end(try Trailer(from: decoder))
            default:
                throw ContextError.invalid(
                    "type", "'\(type)' is not a record type (header, session, checkpoint, pattern, contextLoad, privacyAudit, end)")
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: TypeKey.self)
            try container.encode(line.type, forKey: .type)
            switch line {
            case .header(let value): try value.encode(to: encoder)
            case .session(let value): try value.encode(to: encoder)
            case .checkpoint(let value): try value.encode(to: encoder)
            case .pattern(let value): try value.encode(to: encoder)
            case .contextLoad(let value): try value.encode(to: encoder)
            case .privacyAudit(let value): try value.encode(to: encoder)
            case .end(let value): try value.encode(to: encoder)
            }
        }
    }
}

extension [UInt8] {
    package var hexString: String {
        let digits = [Character]("0123456789abcdef")
        return String(flatMap { byte -> [Character] in [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] })
    }
}
