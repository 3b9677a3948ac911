import Foundation
import Synchronization
import Testing

@testable import ChromaStorage

/// An `HTTPTransport` that records every request and answers from `responder`; requests it leaves
/// unanswered (nil) get what a fresh ChromaDB 1.5.9 answers to the preparation requests (heartbeat,
/// existing tenant and database, cosine collections with fixed UUIDs), and anything else fails the test.
final class CannedTransport: HTTPTransport {
    typealias Responder = @Sendable (HTTPRequest) throws -> HTTPResponse?

    private let recorded = Mutex<[HTTPRequest]>([])
    private let responder: Responder

    init(_ responder: @escaping Responder = { _ in nil }) { self.responder = responder }

    /// Every request sent so far, in order.
    var requests: [HTTPRequest] { recorded.withLock { $0 } }

    /// The requests sent after preparation (heartbeat, tenant, database, collections).
    var recordRequests: [HTTPRequest] { requests.filter { $0.path.contains("/collections/") } }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        recorded.withLock { $0.append(request) }
        if let response = try responder(request) { return response }
        if let response = Self.standard(request) { return response }
        Issue.record("unexpected request \(request.method.rawValue) \(request.path)")
        return .json(500, #"{"error":"Test","message":"unexpected request"}"#)
    }

    /// The UUID the canned server gives the collection of each kind (by the name's suffix).
    static func collectionID(named name: String) -> String {
        if name.hasSuffix("sessions_embeddings") { return "00000000-0000-4000-8000-000000000001" }
        if name.hasSuffix("checkpoints_embeddings") { return "00000000-0000-4000-8000-000000000002" }
        return "00000000-0000-4000-8000-000000000003"
    }

    static let sessionsID = collectionID(named: "sessions_embeddings")
    static let checkpointsID = collectionID(named: "checkpoints_embeddings")
    static let patternsID = collectionID(named: "patterns_embeddings")

    private static func standard(_ request: HTTPRequest) -> HTTPResponse? {
        let path = request.path
        switch request.method {
        case .get where path.hasSuffix("/api/v2/heartbeat"):
            return .json(200, #"{"nanosecond heartbeat":1795587481329047000}"#)
        case .get where path.range(of: #"/api/v2/tenants/[^/]+$"#, options: .regularExpression) != nil:
            return .json(200, #"{"name":"default_tenant","resource_name":null}"#)
        case .get where path.range(of: #"/api/v2/tenants/[^/]+/databases/[^/]+$"#, options: .regularExpression) != nil:
            return .json(
                200,
                #"{"id":"db8e0548-a7e2-4ec2-ba34-1ae202f3cb92","name":"default_database","tenant":"default_tenant"}"#)
        case .post where path.hasSuffix("/collections"):
            let name = (try? JSONDecoder().decode(NameOnly.self, from: request.body ?? Data()))?.name ?? "?"
            return .collection(name: name, id: collectionID(named: name))
        default:
            return nil
        }
    }

    private struct NameOnly: Decodable { var name: String }
}

extension HTTPResponse {
    static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, body: Data(text.utf8))
    }

    /// A collection object as Chroma returns it (schema left out).
    static func collection(name: String, id: String, space: String = "cosine", dimension: Int? = nil) -> HTTPResponse {
        .json(
            200,
            """
            {"id":"\(id)","name":"\(name)","configuration_json":{"hnsw":{"space":"\(space)","ef_construction":100,\
            "ef_search":100,"max_neighbors":16,"resize_factor":1.2,"sync_threshold":1000},"spann":null,\
            "embedding_function":null},"metadata":null,"dimension":\(dimension.map(String.init) ?? "null"),\
            "tenant":"default_tenant","database":"default_database","log_position":0,"version":0}
            """
        )
    }
}

extension HTTPRequest {
    /// The body as text (keys are sorted by the client, so it compares as a string).
    var bodyText: String? { body.map { String(decoding: $0, as: UTF8.self) } }
}
