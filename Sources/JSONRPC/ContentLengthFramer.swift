/// LSP base-protocol framing: headers (`Content-Length` required, `Content-Type` optional), a blank line,
/// then exactly Content-Length bytes.
///
/// Header names are case-insensitive; lines may end in CRLF or LF; `charset=utf8` is accepted as `utf-8`.
/// A header block without a usable Content-Length is reported, and the framer then skips ahead to the
/// next `Content-Length` header; an oversized body is reported and skipped without being buffered.
package struct ContentLengthFramer: MessageFramer {
    /// Longest header block accepted.
    package static let maximumHeaderSize = 8 * 1024
    private static let contentLengthName = Array("content-length".utf8)

    private enum State {
        case headers
        case body(length: Int)
        case skipping(remaining: Int)
        /// Looking for the next "Content-Length" after a broken header block; `matched` bytes of it seen.
        case resynchronising(matched: Int)
    }

    package let maximumMessageSize: Int
    private var state = State.headers
    private var header: [UInt8] = []
    private var body: [UInt8] = []
    private var events: [FramerEvent] = []
    private var eventIndex = 0

    package init(maximumMessageSize: Int) {
        self.maximumMessageSize = maximumMessageSize
    }

    package mutating func next() -> FramerEvent? {
        guard eventIndex < events.count else {
            if !events.isEmpty {
                events.removeAll(keepingCapacity: true)
                eventIndex = 0
            }
            return nil
        }
        defer { eventIndex &+= 1 }
        return events[eventIndex]
    }

    package mutating func append(_ bytes: ArraySlice<UInt8>) {
        var index = bytes.startIndex
        let end = bytes.endIndex
        while index < end {
            switch state {
            case .headers:
                let byte = bytes[index]
                index &+= 1
                // Stray line breaks between messages are tolerated.
                if header.isEmpty, byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") { continue }
                header.append(byte)
                if byte == UInt8(ascii: "\n"), header.count >= 2, endsHeaderBlock() {
                    finishHeaders()
                } else if header.count > Self.maximumHeaderSize {
                    events.append(.error(.headerTooLarge(limit: Self.maximumHeaderSize)))
                    header.removeAll(keepingCapacity: true)
                    state = .resynchronising(matched: 0)
                }
            case .body(let length):
                let take = min(length &- body.count, end &- index)
                body.append(contentsOf: bytes[index..<(index &+ take)])
                index &+= take
                if body.count == length {
                    events.append(.message(body))
                    body = []
                    state = .headers
                }
            case .skipping(let remaining):
                let take = min(remaining, end &- index)
                index &+= take
                state = remaining == take ? .headers : .skipping(remaining: remaining &- take)
            case .resynchronising(var matched):
                let name = Self.contentLengthName
                while index < end, matched < name.count {
                    let byte = bytes[index] | (bytes[index] &- UInt8(ascii: "A") < 26 ? 0x20 : 0)
                    index &+= 1
                    if byte == name[matched] {
                        matched &+= 1
                    } else {
                        matched = byte == name[0] ? 1 : 0
                    }
                }
                if matched == name.count {
                    header = Array("Content-Length".utf8)
                    state = .headers
                } else {
                    state = .resynchronising(matched: matched)
                }
            }
        }
    }

    /// True when `header` ends with an empty line (CRLF CRLF, or LF LF).
    private func endsHeaderBlock() -> Bool {
        let count = header.count
        if header[count &- 2] == UInt8(ascii: "\n") { return true }
        return count >= 3 && header[count &- 2] == UInt8(ascii: "\r") && header[count &- 3] == UInt8(ascii: "\n")
    }

    private mutating func finishHeaders() {
        let text = String(decoding: header, as: UTF8.self)
        header.removeAll(keepingCapacity: true)
        var length: Int?
        var failure: FramingError?
        var charsetProblem: String?
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else {
                failure = failure ?? .invalidHeader(String(line))
                continue
            }
            let name = line[..<colon].trimmingCharacters(in: " \t").lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            switch name {
            case "content-length":
                if let parsed = Int(value), parsed >= 0, value.allSatisfy(\.isASCIIDigitCharacter) {
                    length = parsed
                } else {
                    failure = failure ?? .invalidContentLength(value)
                }
            case "content-type":
                charsetProblem = Self.unsupportedCharset(in: value)
            default:
                continue  // Unknown headers are ignored, as LSP clients expect.
            }
        }
        if let failure {
            events.append(.error(failure))
            state = .resynchronising(matched: 0)
            return
        }
        guard let length else {
            events.append(.error(.missingContentLength))
            state = .resynchronising(matched: 0)
            return
        }
        if let charsetProblem {
            events.append(.error(.unsupportedCharset(charsetProblem)))
            state = length == 0 ? .headers : .skipping(remaining: length)
        } else if length > maximumMessageSize {
            events.append(.error(.tooLarge(size: length, limit: maximumMessageSize)))
            state = length == 0 ? .headers : .skipping(remaining: length)
        } else if length == 0 {
            events.append(.message([]))
        } else {
            body.reserveCapacity(length)
            state = .body(length: length)
        }
    }

    /// The charset named in a Content-Type value if it is not UTF-8, else nil.
    private static func unsupportedCharset(in contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: " \t").lowercased() == "charset" else { continue }
            let charset = pair[1].trimmingCharacters(in: " \t\"").lowercased()
            return charset == "utf-8" || charset == "utf8" ? nil : charset
        }
        return nil
    }
}

extension StringProtocol {
    /// Trims the given ASCII characters from both ends (Foundation-free).
    fileprivate func trimmingCharacters(in set: String) -> String {
        let scalars = Set(set.unicodeScalars)
        var view = Substring(self).unicodeScalars[...]
        while let first = view.first, scalars.contains(first) { view = view.dropFirst() }
        while let last = view.last, scalars.contains(last) { view = view.dropLast() }
        return String(view)
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isWholeNumber }
}
