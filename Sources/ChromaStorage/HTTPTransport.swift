import Foundation

/// Sends one HTTP request and returns the answer, whatever its status. `URLSessionTransport` in
/// production; unit tests replay canned responses through it.
///
/// Network failures (refused, timed out, unknown host) are thrown as they come (`URLError` from
/// URLSession); `ChromaHTTPClient` turns them into `ContextError`.
protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

/// A request as the Chroma client builds it: no URLSession types, so tests can compare them.
struct HTTPRequest: Sendable, Hashable {
    enum Method: String, Sendable, Hashable {
        case get = "GET"
        case post = "POST"
        case delete = "DELETE"
    }

    var method: Method
    var url: URL
    var headers: [String: String]
    var body: Data?
    var timeout: Duration

    /// The URL's path, for tests and messages.
    var path: String { url.path }
}

/// A status and a body; headers are not needed by the Chroma client.
struct HTTPResponse: Sendable, Hashable {
    var status: Int
    var body: Data

    init(status: Int, body: Data = Data()) {
        self.status = status
        self.body = body
    }
}
