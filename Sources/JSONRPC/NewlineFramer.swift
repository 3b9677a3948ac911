/// Newline-delimited JSON: one message per line. CRLF is tolerated, blank lines are skipped.
package struct NewlineFramer: MessageFramer {
    package let maximumMessageSize: Int
    private var partial: [UInt8] = []
    private var isDiscarding = false
    private var events: [FramerEvent] = []
    private var eventIndex = 0

    package init(maximumMessageSize: Int) {
        // Clamped so that size arithmetic cannot overflow.
        self.maximumMessageSize = min(max(0, maximumMessageSize), Int.max / 4)
    }

    package mutating func append(_ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            if isDiscarding {
                guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else { return }
                isDiscarding = false
                rest = rest[(newline &+ 1)...]
                continue
            }
            // A line may hold the message plus one '\r'.
            let room = maximumMessageSize &+ 1 &- partial.count
            let window = rest.prefix(room &+ 1)
            if let newline = window.firstIndex(of: UInt8(ascii: "\n")) {
                if partial.isEmpty {
                    emitLine(rest[rest.startIndex..<newline])
                } else {
                    partial.append(contentsOf: rest[rest.startIndex..<newline])
                    let line = partial
                    partial.removeAll(keepingCapacity: true)
                    emitLine(line[...])
                }
                rest = rest[(newline &+ 1)...]
            } else if rest.count <= room {
                partial.append(contentsOf: rest)
                return
            } else {
                events.append(.error(.tooLarge(size: nil, limit: maximumMessageSize)))
                partial = []
                isDiscarding = true
                rest = rest[(rest.startIndex &+ room)...]
            }
        }
    }

    package mutating func finish() {
        if !partial.isEmpty, !isDiscarding {
            let line = partial
            partial = []
            emitLine(line[...])
        }
        partial = []
        isDiscarding = false
    }

    private mutating func emitLine(_ line: ArraySlice<UInt8>) {
        var content = line
        if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
        guard content.contains(where: { !Self.isWhitespace($0) }) else { return }
        if content.count > maximumMessageSize {
            events.append(.error(.tooLarge(size: content.count, limit: maximumMessageSize)))
        } else {
            events.append(.message(Array(content)))
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
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
}
