import ContextTesting
import JSONRPC
import Testing

/// A byte stream and the events a framer must produce from it, whatever the read boundaries.
struct FramerFixture: Sendable, CustomTestStringConvertible {
    var name: String
    var framing: Framing
    var limit: Int = 1024
    var input: [UInt8]
    var expected: [FramerEvent]
    var testDescription: String { "\(framing.rawValue): \(name)" }
}

private func lsp(_ body: String, headers: String? = nil) -> [UInt8] {
    let header = headers ?? "Content-Length: \(body.utf8.count)\r\n"
    return Array((header + "\r\n" + body).utf8)
}

private func message(_ text: String) -> FramerEvent { .message(Array(text.utf8)) }

private let ping = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#
private let unicode = #"{"jsonrpc":"2.0","id":"é","method":"echo","params":{"text":"héllo wörld — 日本語 🎉"}}"#

let framerFixtures: [FramerFixture] = [
    // LSP
    FramerFixture(name: "one message", framing: .lsp, input: lsp(ping), expected: [message(ping)]),
    FramerFixture(
        name: "Content-Length counts bytes of multi-byte UTF-8",
        framing: .lsp,
        input: lsp(unicode),
        expected: [message(unicode)]
    ),
    FramerFixture(
        name: "header names are case-insensitive; charset utf8 accepted",
        framing: .lsp,
        input: lsp(
            ping,
            headers: "content-type: application/vscode-jsonrpc; charset=utf8\r\nCONTENT-LENGTH: \(ping.utf8.count)\r\n"
        ),
        expected: [message(ping)]
    ),
    FramerFixture(
        name: "Content-Type with charset=utf-8 and unknown headers",
        framing: .lsp,
        input: lsp(
            ping,
            headers:
                "X-Trace: 1\r\nContent-Length:\(ping.utf8.count)\r\nContent-Type: application/json; charset=\"UTF-8\"\r\n"
        ),
        expected: [message(ping)]
    ),
    FramerFixture(
        name: "many messages in one read",
        framing: .lsp,
        input: lsp(ping) + lsp(unicode) + lsp(ping),
        expected: [message(ping), message(unicode), message(ping)]
    ),
    FramerFixture(
        name: "LF-only header lines",
        framing: .lsp,
        input: Array("Content-Length: \(ping.utf8.count)\n\n\(ping)".utf8),
        expected: [message(ping)]
    ),
    FramerFixture(
        name: "missing Content-Length is reported and the next message is served",
        framing: .lsp,
        input: lsp(ping, headers: "Content-Type: application/json\r\n") + lsp(unicode),
        expected: [.error(.missingContentLength), message(unicode)]
    ),
    FramerFixture(
        name: "invalid Content-Length is reported and the next message is served",
        framing: .lsp,
        input: lsp(ping, headers: "Content-Length: forty\r\n") + lsp(ping),
        expected: [.error(.invalidContentLength("forty")), message(ping)]
    ),
    FramerFixture(
        name: "negative Content-Length",
        framing: .lsp,
        input: lsp(ping, headers: "Content-Length: -5\r\n") + lsp(ping),
        expected: [.error(.invalidContentLength("-5")), message(ping)]
    ),
    FramerFixture(
        name: "oversized body is skipped and the stream resynchronises",
        framing: .lsp,
        limit: 64,
        input: lsp(String(repeating: "x", count: 300)) + lsp(ping),
        expected: [.error(.tooLarge(size: 300, limit: 64)), message(ping)]
    ),
    FramerFixture(
        name: "unsupported charset is reported, its body skipped",
        framing: .lsp,
        input: lsp(
            ping, headers: "Content-Length: \(ping.utf8.count)\r\nContent-Type: application/json; charset=utf-16\r\n")
            + lsp(ping),
        expected: [.error(.unsupportedCharset("utf-16")), message(ping)]
    ),
    FramerFixture(
        name: "stray line breaks between messages",
        framing: .lsp,
        input: lsp(ping) + Array("\r\n".utf8) + lsp(ping),
        expected: [message(ping), message(ping)]
    ),
    FramerFixture(
        name: "a header line without colon is ignored when the length is known",
        framing: .lsp,
        input: lsp(ping, headers: "garbage\r\nContent-Length: \(ping.utf8.count)\r\n") + lsp(unicode),
        expected: [message(ping), message(unicode)]
    ),
    FramerFixture(
        name: "a header line without colon and no length is reported",
        framing: .lsp,
        input: lsp(ping, headers: "garbage\r\n") + lsp(unicode),
        expected: [.error(.invalidHeader("garbage")), message(unicode)]
    ),
    // NDJSON
    FramerFixture(name: "one line", framing: .ndjson, input: Array((ping + "\n").utf8), expected: [message(ping)]),
    FramerFixture(
        name: "CRLF tolerated, blank and whitespace-only lines skipped",
        framing: .ndjson,
        input: Array("\n\r\n\(ping)\r\n   \n\t\r\n\(unicode)\n\n".utf8),
        expected: [message(ping), message(unicode)]
    ),
    FramerFixture(
        name: "oversized line is reported and the next line served",
        framing: .ndjson,
        limit: 64,
        input: Array((String(repeating: "y", count: 500) + "\n" + ping + "\n").utf8),
        expected: [.error(.tooLarge(size: nil, limit: 64)), message(ping)]
    ),
    FramerFixture(
        name: "a line exactly at the limit (with CR) is accepted",
        framing: .ndjson,
        limit: 41,
        input: Array((ping + "\r\n").utf8),
        expected: [message(ping)]
    ),
    FramerFixture(
        name: "a line without its final newline waits",
        framing: .ndjson,
        input: Array((ping + "\n" + ping).utf8),
        expected: [message(ping)]
    ),
]

@Suite("Framers")
struct FramerTests {
    private func events(for fixture: FramerFixture, chunking: Chunking) -> [FramerEvent] {
        var framer: any MessageFramer =
            switch fixture.framing {
            case .lsp: ContentLengthFramer(maximumMessageSize: fixture.limit)
            case .ndjson: NewlineFramer(maximumMessageSize: fixture.limit)
            }
        var events: [FramerEvent] = []
        for chunk in chunking.split(fixture.input) {
            framer.append(chunk)
            while let event = framer.next() { events.append(event) }
        }
        return events
    }

    @Test("every fixture gives the same events at every chunking", arguments: framerFixtures, Chunking.all)
    func fixtureAtChunking(fixture: FramerFixture, chunking: Chunking) {
        #expect(events(for: fixture, chunking: chunking) == fixture.expected, "\(chunking)")
    }

    @Test("auto framing detects from the first significant byte", arguments: Chunking.all)
    func autoFramingDetects(chunking: Chunking) {
        let cases: [([UInt8], Framing)] = [
            (Array("\n  \(ping)\n".utf8), .ndjson),
            (Array("[\(ping)]\n".utf8), .ndjson),
            (Array("42\n".utf8), .ndjson),
            ([0xEF, 0xBB, 0xBF] + Array("\(ping)\n".utf8), .ndjson),
            (lsp(ping), .lsp),
            (Array("\r\n".utf8) + lsp(ping), .lsp),
        ]
        for (input, framing) in cases {
            var framer = AutoFramer(mode: .auto, maximumMessageSize: 1024)
            var events: [FramerEvent] = []
            for chunk in chunking.split(input) {
                framer.append(chunk)
                while let event = framer.next() { events.append(event) }
            }
            #expect(framer.framing == framing)
            let text = String(decoding: input, as: UTF8.self)
            let expected = text.hasPrefix("42") ? "42" : framing == .ndjson && input.contains(UInt8(ascii: "[")) ? "[\(ping)]" : ping
            #expect(events == [message(expected)])
        }
    }

    @Test func finishDeliversAFinalLineWithoutNewline() {
        var framer = NewlineFramer(maximumMessageSize: 1024)
        framer.append(Array(ping.utf8))
        #expect(framer.next() == nil)
        framer.finish()
        #expect(framer.next() == message(ping))
    }

    @Test func oversizedStreamKeepsMemoryBoundedInTheFramer() {
        // 100 MiB through a 1 KiB-limit framer in 64 KiB reads: skipped, then a message still comes through.
        for framing in Framing.allCases {
            var framer: any MessageFramer =
                framing == .lsp
                ? ContentLengthFramer(maximumMessageSize: 1024) : NewlineFramer(maximumMessageSize: 1024)
            let size = 100 * 1024 * 1024
            let chunk = [UInt8](repeating: UInt8(ascii: "z"), count: 64 * 1024)
            if framing == .lsp { framer.append(Array("Content-Length: \(size)\r\n\r\n".utf8)) }
            var events: [FramerEvent] = []
            for _ in 0..<(size / chunk.count) {
                framer.append(chunk)
                while let event = framer.next() { events.append(event) }
            }
            framer.append(framing == .lsp ? lsp(ping) : Array(("\n" + ping + "\n").utf8))
            while let event = framer.next() { events.append(event) }
            #expect(events.count == 2)
            if case .error(.tooLarge) = events.first {} else { Issue.record("expected tooLarge, got \(events)") }
            #expect(events.last == message(ping))
        }
    }
}
