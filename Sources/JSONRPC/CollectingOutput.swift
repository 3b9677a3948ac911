import Synchronization

/// A `MessageOutput` that keeps what is written, for in-process clients (`memctx call`) and tests.
package final class CollectingOutput: MessageOutput {
    private let storage = Mutex<[UInt8]>([])

    package init() {}

    package func write(_ bytes: [UInt8]) {
        storage.withLock { $0.append(contentsOf: bytes) }
    }

    /// Everything written so far.
    package var bytes: [UInt8] { storage.withLock { $0 } }
}

/// An input that yields the given chunks, then ends.
package struct ChunkedInput: AsyncSequence, Sendable {
    package typealias Element = [UInt8]
    package typealias Failure = Never
    private let chunks: [[UInt8]]

    package init(_ chunks: [[UInt8]]) { self.chunks = chunks }

    package struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate var chunks: IndexingIterator<[[UInt8]]>
        package mutating func next(isolation actor: isolated (any Actor)? = #isolation) async -> [UInt8]? {
            chunks.next()
        }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: chunks.makeIterator()) }
}
