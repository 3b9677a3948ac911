import Dispatch
import Synchronization

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
/// with one `write(2)` and a busy one coalesces many responses into large writes.
package final class FileDescriptorOutput: MessageOutput {
    private struct State {
        var pending: [UInt8] = []
        var isFlushing = false
        var isBroken = false
    }

    private let descriptor: Int32
    private let state = Mutex(State())
    private let onFailure: @Sendable (Int32) -> Void

    /// - Parameter onFailure: called once with `errno` when the descriptor stops accepting bytes (the
    ///   client closed its end); later output is dropped.
    package init(descriptor: Int32, onFailure: @escaping @Sendable (Int32) -> Void = { _ in }) {
        self.descriptor = descriptor
        self.onFailure = onFailure
    }

    package func write(_ bytes: [UInt8]) {
        let becameFlusher = state.withLock { state -> Bool in
            guard !state.isBroken else { return false }
            state.pending.append(contentsOf: bytes)
            guard !state.isFlushing else { return false }
            state.isFlushing = true
            return true
        }
        guard becameFlusher else { return }
        var chunk: [UInt8] = []
        while true {
            // Double buffering: the drained buffer goes back as the new pending one, keeping its capacity.
            let hasMore = state.withLock { state -> Bool in
                guard !state.pending.isEmpty, !state.isBroken else {
                    state.isFlushing = false
                    return false
                }
                chunk.removeAll(keepingCapacity: true)
                swap(&state.pending, &chunk)
                return true
            }
            guard hasMore else { return }
            if let failure = writeAll(chunk) {
                state.withLock { state in
                    state.isBroken = true
                    state.pending = []
                }
                onFailure(failure)
            }
        }
    }

    /// Writes every byte, retrying short writes and EINTR; returns errno on failure.
    private func writeAll(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
    }
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
                if count < 0, errno == EINTR {
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
