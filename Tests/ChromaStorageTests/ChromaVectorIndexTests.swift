import ContextCore
import Foundation
import Synchronization
import Testing

@testable import ChromaStorage

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The index against canned responses: the requests it builds, and how it reads answers and failures.
@Suite("Chroma vector index (canned responses)")
struct ChromaVectorIndexTests {
    static let first = ItemID("018f3a00-0000-7000-8000-000000000001")!
    static let second = ItemID("018f3a00-0000-7000-8000-000000000002")!
    static let third = ItemID("018f3a00-0000-7000-8000-000000000003")!
    static let route = "/api/v2/tenants/default_tenant/databases/default_database/collections"

    private func configuration(token: String? = nil) -> ChromaConfiguration {
        var configuration = ChromaConfiguration(url: URL(string: "http://127.0.0.1:8000")!, token: token)
        configuration.dimension = 3
        return configuration
    }

    private func index(_ transport: CannedTransport, token: String? = nil) -> ChromaVectorIndex {
        ChromaVectorIndex(configuration: configuration(token: token), transport: transport)
    }

    private func embedding(
        _ kind: ItemKind, _ id: ItemID, _ vector: [Float], project: String = "alpha",
        patternType: PatternType? = nil, sessionID: ItemID? = nil, privacyLevel: PrivacyLevel? = nil
    ) -> ItemEmbedding {
        ItemEmbedding(
            kind: kind, id: id, model: "test/model", vector: vector,
            createdAt: Date(timeIntervalSince1970: 1_700_000_000.123),
            project: project, patternType: patternType, sessionID: sessionID, privacyLevel: privacyLevel
        )
    }

    // MARK: Preparation

    @Test func prepareChecksHeartbeatTenantDatabaseThenGetsOrCreatesThreeCosineCollections() async throws {
        let transport = CannedTransport()
        var configuration = configuration()
        configuration.collectionPrefix = "t42_"
        try await ChromaVectorIndex(configuration: configuration, transport: transport).prepare()
        let requests = transport.requests
        #expect(
            requests.map { "\($0.method.rawValue) \($0.path)" } == [
                "GET /api/v2/heartbeat",
                "GET /api/v2/tenants/default_tenant",
                "GET /api/v2/tenants/default_tenant/databases/default_database",
                "POST \(Self.route)",
                "POST \(Self.route)",
                "POST \(Self.route)",
            ])
        #expect(
            requests.dropFirst(3).map(\.bodyText)
                == ["sessions", "checkpoints", "patterns"].map {
                    #"{"configuration":{"hnsw":{"space":"cosine"}},"get_or_create":true,"name":"t42_\#($0)_embeddings"}"#
                })
        #expect(requests[0].timeout == configuration.connectTimeout)
        #expect(requests[3].timeout == configuration.requestTimeout)
        #expect(requests[3].headers["Content-Type"] == "application/json")
    }

    @Test func prepareCreatesAMissingTenantAndDatabaseAndTakesA409AsSuccess() async throws {
        let transport = CannedTransport { request in
            switch (request.method, request.path) {
            case (.get, "/api/v2/tenants/default_tenant"):
                .json(404, #"{"error":"NotFoundError","message":"Tenant [default_tenant] not found"}"#)
            case (.post, "/api/v2/tenants"):
                // Another process created it meanwhile.
                .json(409, #"{"error":"ChromaError","message":"Tenant [default_tenant] already exists"}"#)
            case (.get, "/api/v2/tenants/default_tenant/databases/default_database"):
                .json(404, #"{"error":"NotFoundError","message":"Database [default_database] not found."}"#)
            case (.post, "/api/v2/tenants/default_tenant/databases"):
                .json(200, "{}")
            default: nil
            }
        }
        try await index(transport).prepare()
        let creates = transport.requests.filter { $0.method == .post && !$0.path.hasSuffix("/collections") }
        #expect(creates.map(\.path) == ["/api/v2/tenants", "/api/v2/tenants/default_tenant/databases"])
        #expect(creates.map(\.bodyText) == [#"{"name":"default_tenant"}"#, #"{"name":"default_database"}"#])
    }

    @Test func prepareRefusesAnExistingCollectionThatIsNotCosine() async throws {
        let transport = CannedTransport { request in
            request.method == .post && request.path.hasSuffix("/collections")
                ? .collection(name: "sessions_embeddings", id: CannedTransport.sessionsID, space: "l2") : nil
        }
        let error = try await #require(throws: ContextError.self) { try await index(transport).prepare() }
        #expect(error.code == .conflict)
        #expect(error.message.contains("ChromaDB collection 'sessions_embeddings' uses l2 distance"))
        #expect(error.message.contains("cosine"))
    }

    @Test func prepareRefusesAnExistingCollectionOfAnotherDimension() async throws {
        let transport = CannedTransport { request in
            request.method == .post && request.path.hasSuffix("/collections")
                ? .collection(name: "sessions_embeddings", id: CannedTransport.sessionsID, dimension: 768) : nil
        }
        let error = try await #require(throws: ContextError.self) { try await index(transport).prepare() }
        #expect(error.code == .conflict)
        #expect(error.message.contains("768-dimension"))
    }

    @Test func recordCallsPrepareFirstWhenPrepareWasSkipped() async throws {
        let transport = CannedTransport { request in
            request.path.hasSuffix("/count") ? .json(200, "7") : nil
        }
        #expect(try await index(transport).count(.checkpoint) == 7)
        #expect(transport.requests.first?.path == "/api/v2/heartbeat")
        #expect(transport.requests.last?.path == "\(Self.route)/\(CannedTransport.checkpointsID)/count")
    }

    @Test func aDeletedCollectionIsResolvedAgainAndTheCallRetriedOnce() async throws {
        let renewed = "11111111-1111-4111-8111-111111111111"
        let patternCollectionsCreated = Mutex(0)
        let transport = CannedTransport { request in
            if request.path.hasSuffix("/\(CannedTransport.patternsID)/count") {
                return .json(
                    404,
                    #"{"error":"NotFoundError","message":"Collection [\#(CannedTransport.patternsID)] does not exist."}"#
                )
            }
            if request.path.hasSuffix("/\(renewed)/count") { return .json(200, "5") }
            if request.path.hasSuffix("/collections"), request.bodyText?.contains("patterns_embeddings") == true {
                let created = patternCollectionsCreated.withLock { count in
                    count += 1
                    return count
                }
                // Deleted by an operator after the first prepare: get_or_create makes a new one.
                return created > 1 ? .collection(name: "patterns_embeddings", id: renewed) : nil
            }
            return nil
        }
        let index = index(transport)
        try await index.prepare()
        #expect(try await index.count(.pattern) == 5)
        let counts = transport.recordRequests.filter { $0.path.hasSuffix("/count") }.map(\.path)
        #expect(counts == ["\(Self.route)/\(CannedTransport.patternsID)/count", "\(Self.route)/\(renewed)/count"])
        // A second 404 is not retried again.
        let other = CannedTransport { request in
            request.path.hasSuffix("/count") ? .json(404, #"{"error":"NotFoundError","message":"gone"}"#) : nil
        }
        let error = try await #require(throws: ContextError.self) { try await self.index(other).count(.session) }
        #expect(error.code == .notFound)
        #expect(other.requests.filter { $0.path.hasSuffix("/count") }.count == 2)
    }

    // MARK: Requests

    @Test(arguments: [nil, "", "s3cret-token"])
    func theTokenHeaderIsSentOnlyWhenATokenIsSet(token: String?) async throws {
        let transport = CannedTransport()
        try await index(transport, token: token).prepare()
        for request in transport.requests {
            #expect(request.headers["X-Chroma-Token"] == (token?.isEmpty == false ? token : nil))
            #expect(request.headers["Authorization"] == nil)
        }
    }

    @Test func upsertSendsIdsVectorsAndMetadataToEachKindsCollectionInBatches() async throws {
        let transport = CannedTransport { request in
            request.path.hasSuffix("/upsert") ? .json(200, "{}") : nil
        }
        var configuration = configuration()
        configuration.batchSize = 2
        let index = ChromaVectorIndex(configuration: configuration, transport: transport)
        try await index.prepare()
        try await index.upsert([
            embedding(.pattern, Self.first, [1, 0, 0], patternType: .workflow, privacyLevel: .team),
            embedding(.checkpoint, Self.second, [0, 1, 0], project: "beta", sessionID: Self.third),
            embedding(.pattern, Self.second, [0, 0, 1], patternType: .code),
            embedding(.pattern, Self.third, [0.6, 0.8, 0]),
            // The same id again: the last vector wins, in the first one's place.
            embedding(.pattern, Self.first, [0, 0.5, 0.25], patternType: .workflow),
        ])
        let upserts = transport.recordRequests
        #expect(
            upserts.map(\.path) == [
                "\(Self.route)/\(CannedTransport.checkpointsID)/upsert",
                "\(Self.route)/\(CannedTransport.patternsID)/upsert",
                "\(Self.route)/\(CannedTransport.patternsID)/upsert",
            ])
        let common = #""createdAt":1700000000123,"model":"test/model""#
        #expect(
            upserts.map(\.bodyText) == [
                #"{"embeddings":[[0,1,0]],"ids":["\#(Self.second)"],"#
                    + #""metadatas":[{\#(common),"project":"beta","sessionId":"\#(Self.third)"}]}"#,
                #"{"embeddings":[[0,0.5,0.25],[0,0,1]],"ids":["\#(Self.first)","\#(Self.second)"],"#
                    + #""metadatas":[{\#(common),"patternType":"workflow","project":"alpha"},"#
                    + #"{\#(common),"patternType":"code","project":"alpha"}]}"#,
                #"{"embeddings":[[0.6,0.8,0]],"ids":["\#(Self.third)"],"metadatas":[{\#(common),"project":"alpha"}]}"#,
            ])
    }

    @Test func upsertWritesThePrivacyLevel() async throws {
        let metadata = ChromaVectorIndex.metadata(embedding(.session, Self.first, [1, 0, 0], privacyLevel: .private))
        #expect(metadata["privacyLevel"] == .string("private"))
        #expect(metadata["project"] == .string("alpha"))
        #expect(metadata["patternType"] == nil && metadata["sessionId"] == nil)
    }

    static let filters: [(SearchFilter, String)] = [
        (SearchFilter(scope: .all), ""),
        (SearchFilter(scope: .only("alpha")), #","where":{"project":{"$eq":"alpha"}}"#),
        (SearchFilter(scope: .all, patternType: .error), #","where":{"patternType":{"$eq":"error"}}"#),
        (
            SearchFilter(scope: .only("alpha"), patternType: .decision),
            #","where":{"$and":[{"project":{"$eq":"alpha"}},{"patternType":{"$eq":"decision"}}]}"#
        ),
        (
            SearchFilter(scope: .only("alpha"), sessionID: third),
            #","where":{"$and":[{"project":{"$eq":"alpha"}},{"sessionId":{"$eq":"\#(third)"}}]}"#
        ),
    ]

    @Test(arguments: filters)
    func nearestAsksUnfilteredFirstThenWithAWhereBuiltFromTheFilter(filter: SearchFilter, whereJSON: String) async throws {
        // 64 nearest records, none of them in the filter's project/type/session: the unfiltered query is not
        // enough, so the filtered one follows.
        let ids = (1...64).map { String(format: "\"018f3a00-0000-7000-8000-%012d\"", $0 + 100) }
        let others = ids.map { _ in #"{"project":"zeta","patternType":"workflow","sessionId":"none"}"# }
        let transport = CannedTransport { request in
            guard request.path.hasSuffix("/query") else { return nil }
            if request.bodyText?.contains("where") == true { return .json(200, #"{"ids":[[]],"distances":[[]]}"#) }
            let distances = ids.map { _ in "0.5" }.joined(separator: ",")
            return .json(200, #"{"ids":[[\#(ids.joined(separator: ","))]],"distances":[[\#(distances)]],"metadatas":[[\#(others.joined(separator: ","))]]}"#)
        }
        let index = index(transport)
        try await index.prepare()
        let hits = try await index.nearest(to: [1, 0, 0], kind: ItemKind.pattern, filter: filter, limit: 5)
        let queries = transport.recordRequests.filter { $0.path == "\(Self.route)/\(CannedTransport.patternsID)/query" }
        if whereJSON.isEmpty {
            #expect(hits.count == 5)
            #expect(queries.map { $0.bodyText } == [#"{"include":["distances"],"n_results":5,"query_embeddings":[[1,0,0]]}"#])
        } else {
            #expect(hits.isEmpty)
            #expect(queries.map { $0.bodyText } == [
                #"{"include":["distances","metadatas"],"n_results":64,"query_embeddings":[[1,0,0]]}"#,
                #"{"include":["distances"],"n_results":5,"query_embeddings":[[1,0,0]]\#(whereJSON)}"#,
            ])
        }
    }

    @Test func aFilteredSearchIsAnsweredFromTheUnfilteredNeighboursWhenEnoughPass() async throws {
        let transport = CannedTransport { request in
            guard request.path.hasSuffix("/query") else { return nil }
            return .json(
                200,
                #"{"ids":[["018f3a00-0000-7000-8000-000000000001","018f3a00-0000-7000-8000-000000000002","018f3a00-0000-7000-8000-000000000003"]],"distances":[[0.1,0.2,0.3]],"metadatas":[[{"project":"alpha"},{"project":"beta"},{"project":"alpha","createdAt":5}]]}"#
            )
        }
        let index = index(transport)
        try await index.prepare()
        let hits = try await index.nearest(to: [1, 0, 0], kind: .pattern, filter: SearchFilter(scope: .only("alpha")), limit: 2)
        #expect(hits.map(\.id.description) == ["018f3a00-0000-7000-8000-000000000001", "018f3a00-0000-7000-8000-000000000003"])
        #expect(transport.recordRequests.filter { $0.path.hasSuffix("/query") }.count == 1)
    }

    @Test func withAdmittingTheFilterIsCheckedThereAndNoMetadataIsFetched() async throws {
        let ids = (1...3).map { "018f3a00-0000-7000-8000-00000000000\($0)" }
        let transport = CannedTransport { request in
            guard request.path.hasSuffix("/query") else { return nil }
            return .json(200, #"{"ids":[["\#(ids[0])","\#(ids[1])","\#(ids[2])"]],"distances":[[0.1,0.2,0.3]]}"#)
        }
        let asked = Mutex<[(ItemKind, [String], SearchFilter)]>([])
        let index = ChromaVectorIndex(configuration: configuration(), transport: transport) { kind, candidates, filter in
            asked.withLock { $0.append((kind, candidates.map(\.description), filter)) }
            return [ItemID(ids[0])!, ItemID(ids[2])!]
        }
        try await index.prepare()
        let filter = SearchFilter(scope: .only("alpha"), patternType: .workflow)
        let hits = try await index.nearest(to: [1, 0, 0], kind: .pattern, filter: filter, limit: 2)
        #expect(hits.map(\.id.description) == [ids[0], ids[2]])
        let queries = transport.recordRequests.filter { $0.path.hasSuffix("/query") }
        #expect(queries.map(\.bodyText) == [#"{"include":["distances"],"n_results":64,"query_embeddings":[[1,0,0]]}"#])
        let calls = asked.withLock { $0 }
        #expect(calls.count == 1)
        #expect(calls.first?.0 == .pattern && calls.first?.1 == ids && calls.first?.2 == filter)

        // Without a filter nothing is asked; a failing check fails the search.
        _ = try await index.nearest(to: [1, 0, 0], kind: .pattern, filter: SearchFilter(scope: .all), limit: 2)
        #expect(asked.withLock { $0.count } == 1)
        let failing = ChromaVectorIndex(configuration: configuration(), transport: transport) { _, _, _ in
            throw ContextError(.backendUnavailable, "PostgreSQL at db:5432 is unreachable")
        }
        try await failing.prepare()
        await #expect(throws: ContextError.self) {
            try await failing.nearest(to: [1, 0, 0], kind: .pattern, filter: filter, limit: 2)
        }
    }

    @Test func unfilteredQueriesAskForAsManyAsRecentPassRatesNeed() async throws {
        // Before any query: twice the limit (at least 64). Then limit ÷ share passed, plus a margin.
        #expect(ChromaVectorIndex.overfetch(limit: 60, passRate: nil) == 120)
        #expect(ChromaVectorIndex.overfetch(limit: 60, passRate: 1) == 79)
        #expect(ChromaVectorIndex.overfetch(limit: 60, passRate: 0.5) == 148)
        #expect(ChromaVectorIndex.overfetch(limit: 60, passRate: 0) == 1_000)
        // Every record of the first answer passes: the second query asks for far fewer than 64.
        let transport = CannedTransport { request in
            guard request.path.hasSuffix("/query") else { return nil }
            return .json(
                200,
                #"{"ids":[["018f3a00-0000-7000-8000-000000000001","018f3a00-0000-7000-8000-000000000002"]],"distances":[[0.1,0.2]],"metadatas":[[{"project":"alpha"},{"project":"alpha"}]]}"#
            )
        }
        let index = index(transport)
        try await index.prepare()
        for _ in 0..<2 {
            _ = try await index.nearest(to: [1, 0, 0], kind: .pattern, filter: SearchFilter(scope: .only("alpha")), limit: 5)
        }
        let sizes = transport.recordRequests.filter { $0.path.hasSuffix("/query") }.compactMap(\.bodyText).map {
            $0.contains(#""n_results":64"#) ? 64 : $0.contains(#""n_results":16"#) ? 16 : 0
        }
        #expect(sizes == [64, 16])
    }

    @Test func nearestTurnsDistancesIntoCosineSimilarityBestFirstTiesById() async throws {
        let transport = CannedTransport { request in
            guard request.path.hasSuffix("/query") else { return nil }
            return .json(
                200,
                """
                {"ids":[["\(Self.third)","\(Self.second)","not-a-uuid","\(Self.first)"]],"embeddings":null,"documents":null,
                "uris":null,"metadatas":null,"distances":[[0.25,0.25,0.3,0.5]],"include":["distances"]}
                """
            )
        }
        let index = index(transport)
        let hits = try await index.nearest(to: [1, 0, 0], kind: .session, filter: SearchFilter(scope: .all), limit: 4)
        #expect(hits.map(\.id) == [Self.second, Self.third, Self.first])
        #expect(hits.map(\.score) == [0.75, 0.75, 0.5])
    }

    @Test func nearestWithAZeroLimitSendsNothing() async throws {
        let transport = CannedTransport()
        #expect(
            try await index(transport).nearest(
                to: [1, 0, 0], kind: .session, filter: SearchFilter(scope: .all), limit: 0
            ).isEmpty)
        #expect(transport.requests.isEmpty)
    }

    @Test func vectorsGetsEmbeddingsOfTheIdsAndLeavesMissingOnesOut() async throws {
        let transport = CannedTransport { request in
            guard request.path.hasSuffix("/get") else { return nil }
            return .json(
                200,
                #"{"ids":["\#(Self.first)"],"embeddings":[[0.5,0.5,0]],"documents":null,"uris":null,"#
                    + #""metadatas":null,"include":["embeddings"]}"#
            )
        }
        let index = index(transport)
        let vectors = try await index.vectors(.checkpoint, ids: [Self.second, Self.first, Self.first])
        #expect(vectors == [Self.first: [0.5, 0.5, 0]])
        let get = try #require(transport.recordRequests.first)
        #expect(get.path == "\(Self.route)/\(CannedTransport.checkpointsID)/get")
        #expect(get.bodyText == #"{"ids":["\#(Self.first)","\#(Self.second)"],"include":["embeddings"]}"#)
    }

    @Test func removeDeletesByIdsAndCountReadsABareInteger() async throws {
        let transport = CannedTransport { request in
            if request.path.hasSuffix("/delete") { return .json(200, #"{"deleted":1}"#) }
            if request.path.hasSuffix("/count") { return .json(200, "12") }
            return nil
        }
        let index = index(transport)
        try await index.remove(.session, ids: [Self.first])
        #expect(try await index.count(.session) == 12)
        let records = transport.recordRequests
        #expect(
            records.map { "\($0.method.rawValue) \($0.path)" } == [
                "POST \(Self.route)/\(CannedTransport.sessionsID)/delete",
                "GET \(Self.route)/\(CannedTransport.sessionsID)/count",
            ])
        #expect(records.first?.bodyText == #"{"ids":["\#(Self.first)"]}"#)
    }

    @Test func emptyIdListsSendNothing() async throws {
        let transport = CannedTransport()
        let index = index(transport)
        try await index.upsert([])
        try await index.remove(.pattern, ids: [])
        #expect(try await index.vectors(.pattern, ids: []).isEmpty)
        #expect(transport.requests.isEmpty)
    }

    @Test func aBasePathIsKeptAndTheQueryOfTheURLDropped() async throws {
        let transport = CannedTransport()
        let configuration = ChromaConfiguration(url: URL(string: "https://proxy.example:9443/chroma/?key=secret")!)
        try await ChromaVectorIndex(configuration: configuration, transport: transport).heartbeat()
        #expect(transport.requests.map(\.url.absoluteString) == ["https://proxy.example:9443/chroma/api/v2/heartbeat"])
    }

    // MARK: Dimensions

    @Test(arguments: [[Float](), [1, 0], [1, 0, 0, 0], [Float.nan, 0, 0]])
    func aVectorOfAnotherDimensionIsRefusedBeforeAnythingIsSent(vector: [Float]) async throws {
        let transport = CannedTransport()
        let index = index(transport)
        let upsert = try await #require(throws: ContextError.self) {
            try await index.upsert([
                embedding(.pattern, Self.first, [1, 0, 0]), embedding(.pattern, Self.second, vector),
            ])
        }
        let query = try await #require(throws: ContextError.self) {
            try await index.nearest(to: vector, kind: .pattern, filter: SearchFilter(scope: .all), limit: 3)
        }
        for error in [upsert, query] {
            #expect(error.code == .invalidInput)
            #expect(error.field == "vector")
            #expect(error.message.contains("ChromaDB"))
        }
        #expect(transport.requests.isEmpty)
    }

    @Test func chromasDimensionErrorBecomesInvalidInputOnTheVector() async throws {
        let transport = CannedTransport { request in
            request.path.hasSuffix("/upsert")
                ? .json(
                    400,
                    #"{"error":"InvalidArgumentError","message":"Collection expecting embedding with dimension of 4, got 3"}"#
                )
                : nil
        }
        let error = try await #require(throws: ContextError.self) {
            try await index(transport).upsert([embedding(.session, Self.first, [1, 0, 0])])
        }
        #expect(error.code == .invalidInput)
        #expect(error.field == "vector")
        #expect(
            error.message == "ChromaDB rejected the request: Collection expecting embedding with dimension of 4, got 3")
    }

    // MARK: Failures

    static let statuses: [(Int, String, ContextError.Code)] = [
        (400, #"{"error":"InvalidArgumentError","message":"Validation error: name: Expected a name"}"#, .invalidInput),
        (401, #"{"error":"Unauthorized","message":"bad token"}"#, .backendUnavailable),
        (403, "<html>Forbidden</html>", .backendUnavailable),
        (404, #"{"error":"NotFoundError","message":"Database [x] not found."}"#, .notFound),
        (409, #"{"error":"ChromaError","message":"Collection [docs] already exists"}"#, .conflict),
        (410, #"{"error":"Unimplemented","message":"The v1 API is deprecated. Please use /v2 apis"}"#, .unsupported),
        (422, #"{"error":"ChromaError","message":"Failed to deserialize the JSON body"}"#, .invalidInput),
        (429, "", .backendUnavailable),
        (500, #"{"error":"InternalError","message":"boom"}"#, .backendUnavailable),
        (503, "Service Unavailable", .backendUnavailable),
    ]

    @Test(arguments: statuses)
    func httpStatusesMapToContextErrorCodes(status: Int, body: String, code: ContextError.Code) async throws {
        let transport = CannedTransport { _ in .json(status, body) }
        let error = try await #require(throws: ContextError.self) { try await index(transport).heartbeat() }
        #expect(error.code == code)
        #expect(error.message.contains("ChromaDB"))
        if status == 401 || status == 403 {
            #expect(error.message.contains("refused access (HTTP \(status))"))
        } else if body.hasPrefix("{") {
            let message = try #require(try JSONDecoder().decode(ChromaAPI.Failure.self, from: Data(body.utf8)).message)
            #expect(error.message.contains(message))
        } else {
            #expect(!error.message.contains(body) || body.isEmpty)
        }
    }

    static let networkFailures: [(URLError.Code, String)] = [
        (.cannotConnectToHost, "ChromaDB at 127.0.0.1:8000 is unreachable: connection refused"),
        (.timedOut, "ChromaDB at 127.0.0.1:8000 is unreachable: no answer within 2 s"),
        (.cannotFindHost, "ChromaDB at 127.0.0.1:8000 is unreachable: unknown host"),
        (.networkConnectionLost, "ChromaDB at 127.0.0.1:8000 is unreachable: the connection was lost"),
    ]

    @Test(arguments: networkFailures)
    func networkFailuresAreBackendUnavailableNamingHostAndPort(code: URLError.Code, message: String) async throws {
        let url = URL(string: "http://user:password@127.0.0.1:8000/")!
        let transport = CannedTransport { _ in throw URLError(code, userInfo: [NSURLErrorFailingURLErrorKey: url]) }
        let error = try await #require(throws: ContextError.self) { try await index(transport).prepare() }
        #expect(error.code == .backendUnavailable)
        #expect(error.message == message)
        #expect(error.underlying is URLError)
        #expect(!String(describing: error).contains("password"))
    }

    @Test func anAnswerThatIsNotChromasIsBackendUnavailable() async throws {
        let transport = CannedTransport { _ in .json(200, "<html>hello</html>") }
        let error = try await #require(throws: ContextError.self) { try await index(transport).heartbeat() }
        #expect(error.code == .backendUnavailable)
        #expect(error.message.contains("ChromaDB at 127.0.0.1:8000 sent an answer memctx cannot read"))
    }

    @Test func noTokenPasswordOrQueryInMessagesOrDescription() async throws {
        let token = "tok-9f8e7d6c5b4a"
        let url = URL(string: "http://admin:hunter2@chroma.internal:8123/base?api_key=qwerty")!
        let configuration = ChromaConfiguration(url: url, token: token)
        let failures: [CannedTransport.Responder] = [
            { _ in throw URLError(.cannotConnectToHost, userInfo: [NSURLErrorFailingURLErrorKey: url]) },
            { _ in .json(500, #"{"error":"InternalError","message":"token \#(token) rejected"}"#) },
            { _ in .json(401, #"{"error":"Unauthorized","message":"X-Chroma-Token: \#(token)"}"#) },
            { _ in .json(400, #"{"error":"InvalidArgumentError","message":"\#(token)"}"#) },
        ]
        for responder in failures {
            let index = ChromaVectorIndex(configuration: configuration, transport: CannedTransport(responder))
            let error = try await #require(throws: ContextError.self) { try await index.prepare() }
            for secret in [token, "hunter2", "admin", "qwerty", "/base"] {
                #expect(!error.message.contains(secret), "\(error.message)")
                // Nor in what goes to the logs.
                #expect(!String(describing: error).contains(secret), "\(error)")
            }
            #expect(error.message.contains("ChromaDB"))
        }
        #expect(
            configuration.description
                == "ChromaDB at chroma.internal:8123, default_tenant/default_database, with a token")
        #expect(!"\(configuration)".contains(token))
    }
}
