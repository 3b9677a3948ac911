package import Logging
import Synchronization

/// Settings of one JSON-RPC connection.
package struct ConnectionConfiguration: Sendable {
    /// Which framing to read; `.auto` decides from the first byte.
    package var framing: FramingMode = .auto
    /// Largest message accepted, in bytes (16 MiB by default). Larger ones are answered with -32004 and skipped.
    package var maximumMessageSize: Int = 16 * 1024 * 1024
    /// How many requests may run at once; when all are busy the connection stops reading.
    package var maximumConcurrentRequests: Int = 32
    /// After `exit`, how long requests already received may run before they are cancelled.
    package var exitGracePeriod: Duration = .seconds(2)

    package init(
        framing: FramingMode = .auto,
        maximumMessageSize: Int = 16 * 1024 * 1024,
        maximumConcurrentRequests: Int = 32
    ) {
        self.framing = framing
        self.maximumMessageSize = maximumMessageSize
        self.maximumConcurrentRequests = maximumConcurrentRequests
    }
}

/// One JSON-RPC 2.0 peer on a byte stream: reads frames, dispatches requests concurrently (bounded),
/// writes each response whole in the client's framing, and handles cancellation and exit.
///
/// `run(input:)` returns when the input ends (after every in-flight request has been answered) or when a
/// handler calls `requestExit(exitCode:)`.
package final class Connection: ConnectionControl, Sendable {
    /// A running request's task. `@unchecked Sendable`: the handle is stored only while its task is
    /// registered and is removed, under the same lock that guards `cancel()`, before the task finishes, so
    /// it never outlives the task.
    private struct TaskHandle: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    /// A request between admission (on the read loop) and its response. The task handle is attached when
    /// the request's task starts, so a cancellation that arrives before that is not lost.
    private struct InFlight {
        var token: UInt64
        var handle: TaskHandle?
        var isCancelled = false
        /// Cancelled by a client that expects no response (MCP).
        var isSilent = false
    }

    private struct State {
        var inFlight: [RequestID: InFlight] = [:]
        var nextToken: UInt64 = 0
        var exitCode: Int32?
    }

    private let configuration: ConnectionConfiguration
    private let dispatcher: any MessageDispatcher
    private let output: any MessageOutput
    private let logger: Logger
    /// Bounds requests running at once (`maximumConcurrentRequests`); acquired inside each request's task.
    private let limiter: ConcurrencyLimiter
    /// Bounds requests received but not yet answered; the read loop waits on it. It is larger than `limiter`
    /// so that reading goes on while every slot is busy, and a `$/cancelRequest` can still get through.
    private let admissions: ConcurrencyLimiter
    private let state = Mutex(State())

    package init(
        configuration: ConnectionConfiguration,
        dispatcher: any MessageDispatcher,
        output: any MessageOutput,
        logger: Logger
    ) {
        self.configuration = configuration
        self.dispatcher = dispatcher
        self.output = output
        self.logger = logger
        self.limiter = ConcurrencyLimiter(limit: configuration.maximumConcurrentRequests)
        self.admissions = ConcurrencyLimiter(limit: max(64, 4 * configuration.maximumConcurrentRequests))
    }

    /// Serves the connection until the input ends or `exit` is requested; returns the exit code (0 at end
    /// of input).
    package func run<Input: AsyncSequence<[UInt8], Never>>(input: Input) async -> Int32 {
        var framer = AutoFramer(mode: configuration.framing, maximumMessageSize: configuration.maximumMessageSize)
        var watchdog: Task<Void, Never>?
        await withDiscardingTaskGroup { group in
            var iterator = input.makeAsyncIterator()
            readLoop: while true {
                let chunk = await iterator.next(isolation: nil)
                if let chunk {
                    framer.append(chunk)
                } else {
                    framer.finish()
                }
                while let event = framer.next() {
                    let framing = framer.framing ?? .ndjson
                    switch event {
                    case .message(let bytes):
                        await receive(bytes, framing: framing, group: &group)
                    case .error(let error):
                        logger.warning("framing error", metadata: ["rpc.error": "\(error.jsonRPCError)"])
                        send(ResponsePayload.error(id: .null, error: error.jsonRPCError), framing: framing)
                    }
                    if isExitRequested { break readLoop }
                }
                if chunk == nil { break }
            }
            if isExitRequested {
                // Requests already received get a grace period to finish, then are cancelled.
                let grace = configuration.exitGracePeriod
                watchdog = Task { [weak self] in
                    try? await Task.sleep(for: grace)
                    if !Task.isCancelled { self?.cancelAll() }
                }
            }
        }
        watchdog?.cancel()
        return state.withLock { $0.exitCode } ?? 0
    }

    // MARK: ConnectionControl

    package func requestExit(exitCode: Int32) {
        state.withLock { state in
            if state.exitCode == nil { state.exitCode = exitCode }
        }
    }

    /// Cancels every request in flight; each is answered with -32800.
    private func cancelAll() {
        state.withLock { state in
            for id in state.inFlight.keys {
                state.inFlight[id]!.isCancelled = true
                state.inFlight[id]!.handle?.task.cancel()
            }
        }
    }

    package func cancelRequest(_ id: RequestID, silently: Bool) {
        state.withLock { state in
            guard state.inFlight[id] != nil else { return }
            state.inFlight[id]!.isCancelled = true
            state.inFlight[id]!.isSilent = silently
            state.inFlight[id]!.handle?.task.cancel()
        }
    }

    // MARK: Reading

    private var isExitRequested: Bool { state.withLock { $0.exitCode != nil } }

    private func receive(_ bytes: [UInt8], framing: Framing, group: inout DiscardingTaskGroup) async {
        let payload: IncomingPayload
        do {
            payload = try MessageParser.parse(bytes)
        } catch {
            logger.warning("unparseable message", metadata: ["rpc.error": "\(error)"])
            send(ResponsePayload.error(id: .null, error: error), framing: framing)
            return
        }
        switch payload {
        case .single(let message):
            guard let work = await admit(message, framing: framing) else { return }
            switch work {
            case .answered(let response):
                send(response, framing: framing)
            case .run(let id, let method, let params, let token):
                await admissions.acquire()
                group.addTask {
                    defer { self.admissions.release() }
                    let response = await self.execute(
                        id: id, method: method, params: params, token: token, framing: framing)
                    // Empty: cancelled by a client that expects no response.
                    if !response.isEmpty { self.send(response, framing: framing) }
                }
            }
        case .batch(let messages):
            var work: [Work] = []
            for message in messages {
                if let item = await admit(message, framing: framing) { work.append(item) }
            }
            guard !work.isEmpty else { return }  // only notifications: no output at all
            await admissions.acquire()
            group.addTask {
                defer { self.admissions.release() }
                let responses = await withTaskGroup(of: (Int, [UInt8]).self) { batchGroup in
                    for (index, item) in work.enumerated() {
                        batchGroup.addTask {
                            switch item {
                            case .answered(let response):
                                return (index, response)
                            case .run(let id, let method, let params, let token):
                                let response = await self.execute(
                                    id: id,
                                    method: method,
                                    params: params,
                                    token: token,
                                    framing: framing
                                )
                                return (index, response)
                            }
                        }
                    }
                    var ordered = [[UInt8]](repeating: [], count: work.count)
                    for await (index, response) in batchGroup { ordered[index] = response }
                    return ordered.filter { !$0.isEmpty }
                }
                self.send(ResponsePayload.batch(responses), framing: framing)
            }
        }
    }

    private enum Work: Sendable {
        /// Already answered (invalid request, or refused by the dispatcher).
        case answered([UInt8])
        case run(id: RequestID, method: String, params: RawJSON?, token: UInt64)
    }

    /// Classifies one message in order on the read loop: notifications run here; requests are admitted.
    private func admit(_ message: IncomingMessage, framing: Framing) async -> Work? {
        switch message {
        case .invalid(let id, let error):
            logger.debug("invalid request", metadata: ["rpc.id": "\(id)", "rpc.error": "\(error)"])
            return .answered(ResponsePayload.error(id: id, error: error))
        case .notification(let method, let params):
            let context = makeContext(id: nil, method: method, framing: framing)
            await dispatcher.handleNotification(method, params: params, context: context)
            return nil
        case .request(let id, let method, let params):
            if let refusal = dispatcher.admit(
                method: method, context: makeContext(id: id, method: method, framing: framing))
            {
                return .answered(ResponsePayload.error(id: id, error: refusal))
            }
            return .run(id: id, method: method, params: params, token: reserve(id))
        }
    }

    // MARK: Running

    private func execute(
        id: RequestID,
        method: String,
        params: RawJSON?,
        token: UInt64,
        framing: Framing
    ) async -> [UInt8] {
        let context = makeContext(id: id, method: method, framing: framing)
        let outcome: Result<[UInt8], any Error>
        await limiter.acquire()
        defer { limiter.release() }
        if attach(id, token: token) {
            do {
                outcome = .success(try await dispatcher.handleRequest(method, params: params, context: context))
            } catch {
                outcome = .failure(error)
            }
        } else {
            outcome = .failure(CancellationError())
        }
        let (wasCancelled, isSilent) = unregister(id, token: token)
        if wasCancelled, isSilent { return [] }
        switch outcome {
        case .success(let result) where !wasCancelled:
            logger.trace("request finished", metadata: ["rpc.method": "\(method)", "rpc.id": "\(id)"])
            return ResponsePayload.result(id: id, result: result)
        case .success, .failure(is CancellationError):
            return ResponsePayload.error(id: id, error: .cancelled)
        case .failure(let error):
            if wasCancelled { return ResponsePayload.error(id: id, error: .cancelled) }
            return ResponsePayload.error(id: id, error: wireError(for: error, method: method, id: id))
        }
    }

    private func wireError(for error: any Error, method: String, id: RequestID) -> JSONRPCError {
        if let convertible = error as? any JSONRPCErrorConvertible {
            let wire = convertible.jsonRPCError
            logger.debug(
                "request failed",
                metadata: ["rpc.method": "\(method)", "rpc.id": "\(id)", "rpc.error": "\(wire)"]
            )
            return wire
        }
        logger.critical(
            "unexpected error",
            metadata: ["rpc.method": "\(method)", "rpc.id": "\(id)", "error": "\(String(reflecting: error))"]
        )
        return .internalFailure
    }

    /// Enters the request in the in-flight table at admission, in message order.
    private func reserve(_ id: RequestID) -> UInt64 {
        state.withLock { state in
            state.nextToken &+= 1
            state.inFlight[id] = InFlight(token: state.nextToken)
            return state.nextToken
        }
    }

    /// Attaches the running task to its entry; false if the request was cancelled before it started.
    private func attach(_ id: RequestID, token: UInt64) -> Bool {
        withUnsafeCurrentTask { task in
            state.withLock { state in
                guard let entry = state.inFlight[id], entry.token == token else { return true }
                if entry.isCancelled { return false }
                if let task { state.inFlight[id]!.handle = TaskHandle(task: task) }
                return true
            }
        }
    }

    /// Removes the request from the in-flight table; whether it was cancelled meanwhile, and silently.
    private func unregister(_ id: RequestID, token: UInt64) -> (cancelled: Bool, silently: Bool) {
        state.withLock { state in
            guard let entry = state.inFlight[id], entry.token == token else { return (false, false) }
            state.inFlight[id] = nil
            return (entry.isCancelled, entry.isSilent)
        }
    }

    private func makeContext(id: RequestID?, method: String, framing: Framing) -> RequestContext {
        RequestContext(id: id, method: method, framing: framing, logger: logger, connection: self)
    }

    private func send(_ payload: [UInt8], framing: Framing) {
        output.write(framing.frame(payload))
    }

    package func notify(_ method: String, params: JSONValue, framing: Framing) {
        let message: JSONValue = ["jsonrpc": "2.0", "method": .string(method), "params": params]
        guard let payload = try? WireCoding.encode(message) else { return }
        send(payload, framing: framing)
    }
}
