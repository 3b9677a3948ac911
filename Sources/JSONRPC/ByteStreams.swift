import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a connection writes framed messages. Each call writes its bytes whole: two responses are never
/// interleaved.
package protocol MessageOutput: Sendable {
    func write(_ bytes: [UInt8])
}

/// Writes to a file descriptor (the real stdout). Writers append to a shared buffer; whoever finds no flush
/// in progress becomes the flusher and writes until the buffer is empty, so an idle connection answers
/// with one `write(2)` and a busy one coalesces many responses into large writes. When the client does not
/// read and `maximumPending` bytes wait, writers block until it does (backpressure instead of memory).
///
/// `@unchecked Sendable`: `state` is only touched with `condition` locked.
package final class FileDescriptorOutput: MessageOutput, @unchecked Sendable {
    private struct State {
        var pending: [UInt8] = []
        var isFlushing = false
        var isBroken = false
    }

    private let descriptor: Int32
    private let maximumPending: Int
    private let condition = NSCondition()
    private var state = State()
    private let onFailure: @Sendable (Int32) -> Void

    /// - Parameter onFailure: called once with `errno` when the descriptor stops accepting bytes (the
    ///   client closed its end); later output is dropped.
    package init(
        descriptor: Int32,
        maximumPending: Int = 8 * 1024 * 1024,
        onFailure: @escaping @Sendable (Int32) -> Void = { _ in }
    ) {
        self.descriptor = descriptor
        self.maximumPending = maximumPending
        self.onFailure = onFailure
    }

    package func write(_ bytes: [UInt8]) {
        condition.lock()
        while state.isFlushing, !state.isBroken, state.pending.count >= maximumPending { condition.wait() }
        guard !state.isBroken else {
            condition.unlock()
            return
        }
        state.pending.append(contentsOf: bytes)
        guard !state.isFlushing else {
            condition.unlock()
            return
        }
        state.isFlushing = true
        // Double buffering: the drained buffer goes back as the new pending one, keeping its capacity.
        var chunk: [UInt8] = []
        var failure: Int32?
        while !state.pending.isEmpty, !state.isBroken {
            chunk.removeAll(keepingCapacity: true)
            swap(&state.pending, &chunk)
            condition.broadcast()
            condition.unlock()
            failure = writeAll(chunk)
            condition.lock()
            if failure != nil {
                state.isBroken = true
                state.pending = []
            }
        }
        state.isFlushing = false
        condition.broadcast()
        condition.unlock()
        if let failure { onFailure(failure) }
    }

    /// Writes every byte, retrying short writes, EINTR and EAGAIN (a non-blocking descriptor); returns
    /// errno on failure.
    private func writeAll(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK {
                        waitUntilReady(descriptor, events: Int16(POLLOUT))
                        continue
                    }
                    return errno
                }
                offset += written
            }
            return nil
        }
    }
}

/// Blocks until `descriptor` is ready for `events` (or has hung up).
private func waitUntilReady(_ descriptor: Int32, events: Int16) {
    var request = pollfd(fd: descriptor, events: events, revents: 0)
    _ = poll(&request, 1, -1)
}

/// Reads a file descriptor (stdin) on a dedicated thread, so a blocking `read(2)` never occupies one of the
/// few cooperative threads, and hands chunks to the async reader. At most `bufferedChunks` chunks wait
/// unread, so a fast writer cannot grow memory without bound.
package final class FileDescriptorInput: AsyncSequence, Sendable {
    package typealias Element = [UInt8]
    package typealias Failure = Never

    private let descriptor: Int32
    private let chunkSize: Int
    private let bufferedChunks: Int

    package init(descriptor: Int32, chunkSize: Int = 64 * 1024, bufferedChunks: Int = 4) {
        self.descriptor = descriptor
        self.chunkSize = chunkSize
        self.bufferedChunks = bufferedChunks
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate var base: AsyncStream<[UInt8]>.Iterator
        fileprivate let space: DispatchSemaphore

        package mutating func next(isolation actor: isolated (any Actor)? = #isolation) async -> [UInt8]? {
            let chunk = await base.next(isolation: actor)
            if chunk != nil { space.signal() }
            return chunk
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        let (stream, continuation) = AsyncStream.makeStream(of: [UInt8].self)
        // Starts at 0 and is signalled up to the limit: libdispatch traps when a semaphore is freed with a
        // value below its initial one, which a consumer that stops early would otherwise cause.
        let space = DispatchSemaphore(value: 0)
        for _ in 0..<bufferedChunks { space.signal() }
        let descriptor = self.descriptor
        let chunkSize = self.chunkSize
        let thread = ReaderThread {
            var buffer = [UInt8](repeating: 0, count: chunkSize)
            while true {
                space.wait()
                let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress!, chunkSize) }
                if count < 0, errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK {
                    // EAGAIN: stdin was inherited non-blocking; wait for data instead of taking it as EOF.
                    if errno != EINTR { waitUntilReady(descriptor, events: Int16(POLLIN)) }
                    space.signal()
                    continue
                }
                guard count > 0 else { break }
                continuation.yield(Array(buffer[0..<count]))
            }
            continuation.finish()
        }
        thread.start()
        return AsyncIterator(base: stream.makeAsyncIterator(), space: space)
    }
}

/// A detached POSIX thread running one closure.
private final class ReaderThread: Sendable {
    private let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }

    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread,
            nil,
            { argument in
                let reader = Unmanaged<ReaderThread>.fromOpaque(argument!).takeRetainedValue()
                reader.body()
                return nil
            },
            box
        )
        if result == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<ReaderThread>.fromOpaque(box).release()
            body()  // Could not start a thread: read on this one rather than never.
        }
    }
}

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.read(descriptor, buffer, count)
    #else
        return Darwin.read(descriptor, buffer, count)
    #endif
}

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
        return Glibc.write(descriptor, buffer, count)
    #else
        return Darwin.write(descriptor, buffer, count)
    #endif
}
