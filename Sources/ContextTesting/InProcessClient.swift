import Foundation
package import JSONRPC
import Logging

/// Drives a `Connection` in-process over an in-memory transport: no sockets, no processes, bounded waits.
package final class InProcessClient: Sendable {
    package let framing: Framing
    package let inbox: MessageInbox
    private let input: AsyncStream<[UInt8]>.Continuation
    private let runTask: Task<Int32, Never>

    package init(
        dispatcher: any MessageDispatcher,
        configuration: ConnectionConfiguration = ConnectionConfiguration(),
        framing: Framing = .ndjson
    ) {
        self.framing = framing
        let inbox = MessageInbox(framing: framing)
        self.inbox = inbox
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        self.input = continuation
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let connection = Connection(configuration: configuration, dispatcher: dispatcher, output: inbox, logger: logger)
        runTask = Task { await connection.run(input: stream) }
    }

    /// Sends one message, framed.
    package func send(_ json: String) {
        input.yield(framing.frame(Array(json.utf8)))
    }

    /// Sends raw bytes, unframed.
    package func sendRaw(_ bytes: [UInt8]) {
        input.yield(bytes)
    }

    /// Ends the input (EOF).
    package func closeInput() {
        input.finish()
    }

    /// The next response as raw bytes.
    package func nextRaw(timeout: Duration = .seconds(10)) async -> [UInt8]? {
        await inbox.next(timeout: timeout)
    }

    /// The next response parsed into a JSON value.
    package func next(timeout: Duration = .seconds(10)) async throws -> JSONValue? {
        guard let bytes = await inbox.next(timeout: timeout) else { return nil }
        return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// Sends a request and waits for the next response.
    package func call(_ json: String, timeout: Duration = .seconds(10)) async throws -> JSONValue? {
        send(json)
        return try await next(timeout: timeout)
    }

    /// Waits for the connection to end and returns its exit code.
    package func exitCode() async -> Int32 {
        await runTask.value
    }
}
