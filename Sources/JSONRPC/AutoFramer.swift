/// Chooses the framing from the first significant byte the client sends (`{` or `[` → newline-delimited
/// JSON, anything else → LSP headers), or uses the one it is told to, then delegates to that framer.
package struct AutoFramer: MessageFramer {
    private enum Inner {
        case undecided
        case lsp(ContentLengthFramer)
        case ndjson(NewlineFramer)
    }

    package let maximumMessageSize: Int
    private var inner: Inner
    private var skippedBOMBytes = 0

    package init(mode: FramingMode, maximumMessageSize: Int) {
        self.maximumMessageSize = maximumMessageSize
        switch mode {
        case .auto: inner = .undecided
        case .lsp: inner = .lsp(ContentLengthFramer(maximumMessageSize: maximumMessageSize))
        case .ndjson: inner = .ndjson(NewlineFramer(maximumMessageSize: maximumMessageSize))
        }
    }

    /// The framing in use, once known. Responses are written in it.
    package var framing: Framing? {
        switch inner {
        case .undecided: nil
        case .lsp: .lsp
        case .ndjson: .ndjson
        }
    }

    package mutating func append(_ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        if case .undecided = inner {
            // Whitespace and a UTF-8 byte order mark before the first message carry no framing information.
            while let first = rest.first {
                if first == 0x20 || first == 0x09 || first == 0x0D || first == 0x0A {
                    rest = rest.dropFirst()
                } else if first == [0xEF, 0xBB, 0xBF][min(skippedBOMBytes, 2)], skippedBOMBytes < 3 {
                    skippedBOMBytes &+= 1
                    rest = rest.dropFirst()
                } else {
                    break
                }
            }
            guard let first = rest.first else { return }
            // JSON starts with `{`, `[`, a string or a number; LSP headers start with a letter.
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || first == UInt8(ascii: "\"")
                || first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
            {
                inner = .ndjson(NewlineFramer(maximumMessageSize: maximumMessageSize))
            } else {
                inner = .lsp(ContentLengthFramer(maximumMessageSize: maximumMessageSize))
            }
        }
        switch inner {
        case .undecided: break
        case .lsp(var framer):
            inner = .undecided
            framer.append(rest)
            inner = .lsp(framer)
        case .ndjson(var framer):
            inner = .undecided
            framer.append(rest)
            inner = .ndjson(framer)
        }
    }

    package mutating func finish() {
        switch inner {
        case .undecided: break
        case .lsp(var framer):
            inner = .undecided
            framer.finish()
            inner = .lsp(framer)
        case .ndjson(var framer):
            inner = .undecided
            framer.finish()
            inner = .ndjson(framer)
        }
    }

    package mutating func next() -> FramerEvent? {
        switch inner {
        case .undecided: return nil
        case .lsp(var framer):
            inner = .undecided
            defer { inner = .lsp(framer) }
            return framer.next()
        case .ndjson(var framer):
            inner = .undecided
            defer { inner = .ndjson(framer) }
            return framer.next()
        }
    }
}
