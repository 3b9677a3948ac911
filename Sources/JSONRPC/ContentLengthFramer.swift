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
        // Clamped so that size arithmetic cannot overflow.
        self.maximumMessageSize = min(max(0, maximumMessageSize), Int.max / 4)
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
        var length: Int?
        var failure: FramingError?
        var charsetProblem: String?
        header.withUnsafeBufferPointer { bytes in
            var lineStart = 0
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd &+= 1 }
                let line = Self.trimmed(bytes, lineStart..<lineEnd)
                lineStart = lineEnd &+ 1
                if line.isEmpty { continue }
                guard let colon = line.firstIndex(where: { bytes[$0] == UInt8(ascii: ":") }) else {
                    failure = failure ?? .invalidHeader(String(decoding: bytes[line], as: UTF8.self))
                    continue
                }
                let name = Self.trimmed(bytes, line.lowerBound..<colon)
                let value = Self.trimmed(bytes, (colon &+ 1)..<line.upperBound)
                if Self.equalsIgnoringCase(bytes, name, "content-length") {
                    if let parsed = Self.parseLength(bytes, value) {
                        length = parsed
                    } else {
                        failure = failure ?? .invalidContentLength(String(decoding: bytes[value], as: UTF8.self))
                    }
                } else if Self.equalsIgnoringCase(bytes, name, "content-type") {
                    charsetProblem = Self.unsupportedCharset(in: String(decoding: bytes[value], as: UTF8.self))
                }
                // Unknown headers are ignored, as LSP clients expect.
            }
        }
        header.removeAll(keepingCapacity: true)
        // A stray line is ignored when the length is known; without a usable length there is no way to
        // find the body's end, so the framer resynchronises on the next Content-Length.
        if let failure, length == nil || !Self.isInvalidHeader(failure) {
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

    private static func isInvalidHeader(_ error: FramingError) -> Bool {
        if case .invalidHeader = error { return true }
        return false
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }
        while lower < upper, isSpace(bytes[lower]) { lower &+= 1 }
        while upper > lower, isSpace(bytes[upper &- 1]) { upper &-= 1 }
        return lower..<upper
    }

    private static func equalsIgnoringCase(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ range: Range<Int>,
        _ lowercase: StaticString
    ) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for offset in 0..<range.count {
            let byte = bytes[range.lowerBound &+ offset]
            let folded = byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
            if folded != expected[offset] { return false }
        }
        return true
    }

    /// A non-negative decimal integer of at most 18 digits, else nil.
    private static func parseLength(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value &* 10 &+ Int(digit)
        }
        return value
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
