import ContextCore
import Foundation
import Testing

@testable import ChromaStorage

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The URLSession transport against a loopback port nobody listens on (needs no ChromaDB).
@Suite("Chroma over URLSession")
struct URLSessionTransportTests {
    /// A loopback port that was free a moment ago: bound to port 0, read back, closed.
    private func closedPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func anUnreachableServerIsBackendUnavailableNamingHostAndPortOnly() async throws {
        let port = try closedPort()
        let token = "tok-unreachable-1234"
        let url = URL(string: "http://user:pw@127.0.0.1:\(port)/prefix?secret=1")!
        let index = ChromaVectorIndex(configuration: ChromaConfiguration(url: url, token: token))
        for attempt in [
            { try await index.prepare() }, { try await index.heartbeat() }, { _ = try await index.count(.session) },
        ] {
            let error = try await #require(throws: ContextError.self) { try await attempt() }
            #expect(error.code == .backendUnavailable)
            #expect(error.message == "ChromaDB at 127.0.0.1:\(port) is unreachable: connection refused")
            #expect(
                !error.message.contains(token) && !error.message.contains("secret") && !error.message.contains("pw"))
        }
    }
}
