import ContextCore
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Builds ChromaDB v2 requests (URL under the configured base, JSON body, token header), sends them
/// through the transport, and turns every failure into a `ContextError` that names ChromaDB and shows the
/// server only as `host:port`.
struct ChromaHTTPClient: Sendable {
    let configuration: ChromaConfiguration
    let transport: any HTTPTransport

    /// `/api/v2/tenants/{tenant}/databases/{database}`, as path segments.
    var databaseRoute: [String] { ["tenants", configuration.tenant, "databases", configuration.database] }

    /// The route of one collection's records (by UUID, as every record route wants).
    func recordRoute(_ collectionID: String, _ operation: String) -> [String] {
        databaseRoute + ["collections", collectionID, operation]
    }

    // MARK: Requests

    func get<Response: Decodable>(
        _ route: [String], as type: Response.Type, timeout: Duration? = nil
    ) async throws -> Response {
        try decode(type, from: try await send(.get, route, body: nil, timeout: timeout))
    }

    func post<Response: Decodable>(
        _ route: [String], _ body: some Encodable, as type: Response.Type
    ) async throws -> Response {
        try decode(type, from: try await send(.post, route, body: try encode(body)))
    }

    /// A POST whose answer (`{}` or a count) is not needed.
    func post(_ route: [String], _ body: some Encodable) async throws {
        _ = try await send(.post, route, body: try encode(body))
    }

    /// Sends the request; a 2xx answer's body is returned, anything else is thrown as a `ContextError`.
    func send(_ method: HTTPRequest.Method, _ route: [String], body: Data?, timeout: Duration? = nil) async throws
        -> Data
    {
        let request = makeRequest(method, route, body: body, timeout: timeout ?? configuration.requestTimeout)
        let response: HTTPResponse
        do {
            response = try await transport.send(request)
        } catch {
            throw try networkFailure(error, timeout: request.timeout)
        }
        guard (200..<300).contains(response.status) else {
            throw failure(status: response.status, body: response.body, method: method, route: route)
        }
        return response.body
    }

    func makeRequest(_ method: HTTPRequest.Method, _ route: [String], body: Data?, timeout: Duration) -> HTTPRequest {
        var headers = ["Accept": "application/json"]
        if body != nil { headers["Content-Type"] = "application/json" }
        if let token = configuration.token, !token.isEmpty { headers["X-Chroma-Token"] = token }
        return HTTPRequest(method: method, url: url(route), headers: headers, body: body, timeout: timeout)
    }

    /// `<base path>/api/v2/<segments>`, each segment percent-encoded; the base URL's query and fragment dropped.
    func url(_ route: [String]) -> URL {
        var components = URLComponents(url: configuration.url, resolvingAgainstBaseURL: false) ?? URLComponents()
        var base = components.percentEncodedPath
        while base.hasSuffix("/") { base.removeLast() }
        let segments = (["api", "v2"] + route).map {
            $0.addingPercentEncoding(withAllowedCharacters: Self.segmentCharacters) ?? $0
        }
        components.percentEncodedPath = base + "/" + segments.joined(separator: "/")
        components.percentEncodedQuery = nil
        components.fragment = nil
        return components.url ?? configuration.url
    }

    private static let segmentCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))

    // MARK: JSON

    func encode(_ body: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(body)
        } catch {
            // Only non-finite floats fail to encode; vectors are checked before this.
            throw ContextError(
                .invalidInput, "a vector for ChromaDB holds a value that is not a finite number", field: "vector",
                underlying: error)
        }
    }

    func decode<Response: Decodable>(_ type: Response.Type, from data: Data) throws -> Response {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ContextError(
                .backendUnavailable,
                "ChromaDB at \(configuration.endpoint) sent an answer memctx cannot read (is it ChromaDB 1.x?)",
                underlying: error
            )
        }
    }

    // MARK: Failures

    /// A transport error as `backendUnavailable` (cancellation is rethrown as it is). The URLError kept for
    /// logs is a fresh one with only the code: the original's user info holds the full URL.
    private func networkFailure(_ error: any Error, timeout: Duration) throws -> ContextError {
        if error is CancellationError || Task.isCancelled { throw CancellationError() }
        let cause: String
        var underlying = error
        if let error = error as? URLError {
            underlying = URLError(error.code)
            switch error.code {
            case .cannotConnectToHost: cause = "connection refused"
            case .timedOut: cause = "no answer within \(Self.describe(timeout))"
            case .cannotFindHost, .dnsLookupFailed: cause = "unknown host"
            case .networkConnectionLost: cause = "the connection was lost"
            case .notConnectedToInternet: cause = "no network"
            case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
                .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected,
                .clientCertificateRequired:
                cause = "the TLS handshake failed"
            case .badServerResponse, .cannotParseResponse: cause = "the answer was not HTTP"
            default: cause = "network error \(error.code.rawValue)"
            }
        } else {
            cause = "network error"
        }
        return ContextError(
            .backendUnavailable, "ChromaDB at \(configuration.endpoint) is unreachable: \(cause)",
            underlying: underlying)
    }

    /// A non-2xx answer as a `ContextError`, with Chroma's own message when it sent one.
    func failure(status: Int, body: Data, method: HTTPRequest.Method, route: [String]) -> ContextError {
        let detail = chromaMessage(in: body) ?? "HTTP \(status)"
        let path = "/api/v2/" + route.joined(separator: "/")
        let underlying = ChromaHTTPFailure(status: status, method: method.rawValue, path: path, detail: detail)
        let endpoint = configuration.endpoint
        switch status {
        case 400, 422:
            let isDimension = detail.localizedCaseInsensitiveContains("dimension")
            return ContextError(
                .invalidInput, "ChromaDB rejected the request: \(detail)", field: isDimension ? "vector" : nil,
                underlying: underlying)
        case 401, 403:
            var refused = ContextError(
                .backendUnavailable, "ChromaDB at \(endpoint) refused access (HTTP \(status)): check the token",
                underlying: underlying)
            refused.needsConfiguration = true
            return refused
        case 404:
            return ContextError(.notFound, "ChromaDB: \(detail)", underlying: underlying)
        case 409:
            return ContextError(.conflict, "ChromaDB: \(detail)", underlying: underlying)
        case 410:
            return ContextError(
                .unsupported, "ChromaDB at \(endpoint) does not serve this API: \(detail)", underlying: underlying)
        case 408, 429:
            return ContextError(
                .backendUnavailable, "ChromaDB at \(endpoint) is overloaded: \(detail)", underlying: underlying)
        case 400..<500:
            return ContextError(.invalidInput, "ChromaDB rejected the request: \(detail)", underlying: underlying)
        case 500..<600:
            return ContextError(
                .backendUnavailable, "ChromaDB at \(endpoint) failed: \(detail)", underlying: underlying)
        default:
            return ContextError(
                .backendUnavailable, "ChromaDB at \(endpoint) sent an unexpected HTTP \(status)", underlying: underlying
            )
        }
    }

    /// Chroma's `message` (or `error`), shortened, with the token scrubbed should a proxy ever echo it.
    private func chromaMessage(in body: Data) -> String? {
        guard let failure = try? JSONDecoder().decode(ChromaAPI.Failure.self, from: body),
            var text = failure.message ?? failure.error, !text.isEmpty
        else { return nil }
        if let token = configuration.token, !token.isEmpty {
            text = text.replacingOccurrences(of: token, with: "[redacted]")
        }
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    private static func describe(_ duration: Duration) -> String {
        let seconds = duration.timeInterval
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

/// What a failed Chroma request was, for logs (`ContextError.underlying`): the route below the base URL,
/// no token, no host.
struct ChromaHTTPFailure: Error, CustomStringConvertible {
    var status: Int
    var method: String
    var path: String
    var detail: String

    var description: String { "\(method) \(path) → HTTP \(status): \(detail)" }
}
