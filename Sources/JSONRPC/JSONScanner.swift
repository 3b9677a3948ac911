/// A strict, validating JSON scanner (RFC 8259) over UTF-8 bytes that allocates only for the strings it
/// is asked to decode. The message parser uses it to find the envelope members of a JSON-RPC message
/// without building a tree; values it only skips are still fully validated (including UTF-8).
struct JSONScanner {
    enum Kind: Equatable { case object, array, string, number, bool, null }

    struct SyntaxError: Error {
        var offset: Int
        var reason: String
    }

    /// Nesting deeper than this is rejected, so hostile input cannot exhaust the stack.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var index: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    var isAtEnd: Bool { index >= bytes.count }

    func fail(_ reason: String) -> SyntaxError { SyntaxError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index &+= 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, without consuming it.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(SyntaxError) {
        guard peek() == byte else { throw fail("expected \(what)") }
        index &+= 1
    }

    /// Validates one value and returns its kind; `index` ends just past it.
    @discardableResult
    mutating func skipValue(depth: Int = 0) throws(SyntaxError) -> Kind {
        guard depth < Self.maximumDepth else { throw fail("nesting deeper than \(Self.maximumDepth)") }
        guard let byte = peek() else { throw fail("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"):
            index &+= 1
            if peek() == UInt8(ascii: "}") {
                index &+= 1
                return .object
            }
            while true {
                guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                try skipString()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth &+ 1)
                switch peek() {
                case UInt8(ascii: ","): index &+= 1
                case UInt8(ascii: "}"):
                    index &+= 1
                    return .object
                default: throw fail("expected ',' or '}'")
                }
            }
        case UInt8(ascii: "["):
            index &+= 1
            if peek() == UInt8(ascii: "]") {
                index &+= 1
                return .array
            }
            while true {
                try skipValue(depth: depth &+ 1)
                switch peek() {
                case UInt8(ascii: ","): index &+= 1
                case UInt8(ascii: "]"):
                    index &+= 1
                    return .array
                default: throw fail("expected ',' or ']'")
                }
            }
        case UInt8(ascii: "\""):
            try skipString()
            return .string
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
            return .number
        default:
            throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard bytes.count &- index >= count else { throw fail("invalid literal") }
        let start = word.utf8Start
        for offset in 0..<count where bytes[index &+ offset] != start[offset] {
            throw fail("invalid literal")
        }
        index &+= count
    }

    private mutating func skipDigits() -> Int {
        let start = index
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index &+= 1 }
        return index &- start
    }

    private mutating func skipNumber() throws(SyntaxError) {
        if bytes[index] == UInt8(ascii: "-") { index &+= 1 }
        guard index < bytes.count else { throw fail("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index &+= 1
        } else if skipDigits() == 0 {
            throw fail("invalid number")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index &+= 1
            guard skipDigits() > 0 else { throw fail("invalid number: digits expected after '.'") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index &+= 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index &+= 1
            }
            guard skipDigits() > 0 else { throw fail("invalid number: digits expected in exponent") }
        }
    }

    /// Skips a string starting at `"`, validating escapes and UTF-8.
    mutating func skipString() throws(SyntaxError) {
        try scanString(into: nil)
    }

    /// Decodes the string starting at `"`.
    mutating func decodeString() throws(SyntaxError) -> String {
        var scratch: [UInt8] = []
        try scanString(into: &scratch)
        // Valid by construction: the scanner validated every sequence and escape.
        return String(decoding: scratch, as: UTF8.self)
    }

    private mutating func scanString(into output: UnsafeMutablePointer<[UInt8]>?) throws(SyntaxError) {
        index &+= 1  // opening quote
        while true {
            guard index < bytes.count else { throw fail("unterminated string") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index &+= 1
                return
            case UInt8(ascii: "\\"):
                try scanEscape(into: output)
            case 0x00..<0x20:
                throw fail("control character in string")
            case 0x20..<0x80:
                output?.pointee.append(byte)
                index &+= 1
            default:
                let length = try utf8SequenceLength()
                output?.pointee.append(contentsOf: bytes[index..<(index &+ length)])
                index &+= length
            }
        }
    }

    private mutating func scanEscape(into output: UnsafeMutablePointer<[UInt8]>?) throws(SyntaxError) {
        index &+= 1
        guard index < bytes.count else { throw fail("unterminated escape") }
        let byte = bytes[index]
        index &+= 1
        let simple: UInt8
        switch byte {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar), bytes.count &- index >= 6,
                bytes[index] == UInt8(ascii: "\\"), bytes[index &+ 1] == UInt8(ascii: "u")
            {
                let saved = index
                index &+= 2
                let low = try hex4()
                if (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 &+ ((scalar &- 0xD800) << 10) &+ (low &- 0xDC00)
                } else {
                    index = saved
                }
            }
            if let output {
                // A lone surrogate cannot be represented; it becomes U+FFFD, as in most JSON decoders.
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                output.pointee.append(contentsOf: String(character).utf8)
            }
            return
        default:
            throw fail("invalid escape")
        }
        output?.pointee.append(simple)
    }

    private mutating func hex4() throws(SyntaxError) -> UInt32 {
        guard bytes.count &- index >= 4 else { throw fail("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index &+= 1
        }
        return value
    }

    /// Length of the well-formed UTF-8 sequence at `index` (lead byte ≥ 0x80), per Unicode table 3-7.
    private func utf8SequenceLength() throws(SyntaxError) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw fail("invalid UTF-8")
        }
        guard bytes.count &- index >= length, secondRange.contains(bytes[index &+ 1]) else {
            throw fail("invalid UTF-8")
        }
        var offset = 2
        while offset < length {
            guard bytes[index &+ offset] & 0xC0 == 0x80 else { throw fail("invalid UTF-8") }
            offset &+= 1
        }
        return length
    }
}
