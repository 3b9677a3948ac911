package import ContextCore
import Foundation
import Synchronization

extension ChromaVectorIndex {
    /// Upserts the vectors, one request per kind and `batchSize` records (the last vector wins when an id
    /// appears twice). Every vector is checked before anything is sent.
    ///
    /// - Throws: `ContextError.invalidInput` (field `vector`) for a vector of another dimension.
    package func upsert(_ embeddings: [ItemEmbedding]) async throws {
        for embedding in embeddings { try checkVector(embedding.vector) }
        for kind in ItemKind.allCases {
            var latest: [ItemID: ItemEmbedding] = [:]
            var order: [ItemID] = []
            for embedding in embeddings where embedding.kind == kind {
                if latest.updateValue(embedding, forKey: embedding.id) == nil { order.append(embedding.id) }
            }
            for batch in order.chunks(of: configuration.batchSize) {
                let records = batch.compactMap { latest[$0] }
                let body = ChromaAPI.Upsert(
                    ids: records.map(\.id.description),
                    embeddings: records.map(\.vector),
                    metadatas: records.map(Self.metadata)
                )
                try await withCollection(kind) { collection in
                    try await client.post(client.recordRoute(collection, "upsert"), body)
                }
            }
        }
    }

    /// The items of `kind` nearest to `vector` under `filter`, best first (ties by id), scored by cosine
    /// similarity (1 − Chroma's cosine distance).
    ///
    /// A `where` filter makes ChromaDB leave its HNSW index for a filtered scan, which at 100,000 records costs
    /// hundreds of milliseconds even when nearly every record passes. So a filtered search first asks for the
    /// nearest records without the filter and filters them here: by `admitting` (the rows' store) when given,
    /// else by their metadata, which ChromaDB then sends with them at about twice the cost of the query. Only
    /// when fewer than `limit` pass (a small project in a shared collection) does it repeat the query with the
    /// filter. How many it asks for follows the share that passed in recent queries of the kind (`limit` ÷
    /// share, plus a margin; twice `limit` before the first), since every record more costs ChromaDB time: a
    /// repository of one project asks for about `limit` + 10.
    package func nearest(
        to vector: [Float], kind: ItemKind, filter: SearchFilter, limit: Int
    ) async throws -> [(id: ItemID, score: Float)] {
        try checkVector(vector)
        guard limit > 0 else { return [] }
        guard let clause = ChromaAPI.Where(filter) else {
            return Array(try await query(vector, kind: kind, limit: limit, where: nil, filteringHere: nil).hits.prefix(limit))
        }
        let wide = Self.overfetch(limit: limit, passRate: passRates.withLock { $0[kind] })
        let prefiltered = try await query(vector, kind: kind, limit: wide, where: nil, filteringHere: filter)
        if prefiltered.returned > 0 {
            let rate = Double(prefiltered.hits.count) / Double(prefiltered.returned)
            passRates.withLock { rates in rates[kind] = rates[kind].map { 0.7 * $0 + 0.3 * rate } ?? rate }
        }
        if prefiltered.hits.count >= limit || prefiltered.returned < wide {
            return Array(prefiltered.hits.prefix(limit))
        }
        return Array(try await query(vector, kind: kind, limit: limit, where: clause, filteringHere: nil).hits.prefix(limit))
    }

    /// How many records an unfiltered query asks for to keep `limit` that pass a filter, when about `passRate`
    /// of the records passed lately (nil: not known yet).
    static func overfetch(limit: Int, passRate: Double?) -> Int {
        guard let passRate else { return min(max(limit * 2, 64), 1_000) }
        let expected = Double(limit) / max(passRate, 0.05)
        return min(max(Int((expected * 1.15).rounded(.up)) + 10, limit), 1_000)
    }

    /// One query. With `filteringHere`, records that fail the filter are dropped (asking `admitting`, or
    /// checking the metadata that then comes back); `returned` is how many records ChromaDB gave back before.
    private func query(
        _ vector: [Float], kind: ItemKind, limit: Int, where clause: ChromaAPI.Where?, filteringHere filter: SearchFilter?
    ) async throws -> (hits: [(id: ItemID, score: Float)], returned: Int) {
        let byMetadata = filter != nil && admitting == nil
        let query = ChromaAPI.Query(
            queryEmbeddings: [vector], nResults: limit, where: clause,
            include: byMetadata ? [.distances, .metadatas] : [.distances])
        let result = try await withCollection(kind) { collection in
            try await client.post(client.recordRoute(collection, "query"), query, as: ChromaAPI.QueryResult.self)
        }
        let ids = result.ids.first ?? []
        let distances = result.distances?.first ?? []
        let metadatas = result.metadatas?.first
        guard distances.count == ids.count, !byMetadata || metadatas?.count == ids.count else {
            throw ContextError(
                .backendUnavailable, "ChromaDB at \(configuration.endpoint) answered a query without distances or metadata")
        }
        var hits: [(id: ItemID, score: Float)] = []
        for (index, (text, distance)) in zip(ids, distances).enumerated() {
            // Records that are not ours (no UUID id) or without a distance are skipped.
            guard let id = ItemID(text), let distance else { continue }
            if byMetadata, let filter, !Self.matches(metadatas?[index] ?? nil, filter) { continue }
            hits.append((id, 1 - distance))
        }
        if let filter, let admitting {
            let admitted = try await admitting(kind, hits.map(\.id), filter)
            hits.removeAll { !admitted.contains($0.id) }
        }
        hits.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return (hits, ids.count)
    }

    /// Whether a record's metadata passes the filter (the same conditions `ChromaAPI.Where` sends).
    static func matches(_ metadata: [String: ChromaAPI.MetadataText]?, _ filter: SearchFilter) -> Bool {
        guard let metadata else { return false }
        func value(_ key: String) -> String? { metadata[key]?.text }
        if case .only(let project) = filter.scope, value(ChromaAPI.MetadataKey.project) != project { return false }
        if let type = filter.patternType, value(ChromaAPI.MetadataKey.patternType) != type.rawValue { return false }
        if let session = filter.sessionID, value(ChromaAPI.MetadataKey.sessionID) != session.description { return false }
        return true
    }

    /// The stored vectors of these items; ids not in the collection are absent.
    package func vectors(_ kind: ItemKind, ids: [ItemID]) async throws -> [ItemID: [Float]] {
        var vectors: [ItemID: [Float]] = [:]
        for batch in Array(Set(ids)).sorted().chunks(of: configuration.batchSize) {
            let request = ChromaAPI.Get(ids: batch.map(\.description), include: [.embeddings])
            let result = try await withCollection(kind) { collection in
                try await client.post(client.recordRoute(collection, "get"), request, as: ChromaAPI.GetResult.self)
            }
            let embeddings = result.embeddings ?? []
            guard embeddings.count == result.ids.count else {
                throw ContextError(
                    .backendUnavailable, "ChromaDB at \(configuration.endpoint) answered a get without embeddings")
            }
            for (text, vector) in zip(result.ids, embeddings) {
                if let id = ItemID(text) { vectors[id] = vector }
            }
        }
        return vectors
    }

    /// Deletes the vectors of these items; unknown ids are ignored.
    package func remove(_ kind: ItemKind, ids: [ItemID]) async throws {
        for batch in Array(Set(ids)).sorted().chunks(of: configuration.batchSize) {
            let request = ChromaAPI.Delete(ids: batch.map(\.description))
            try await withCollection(kind) { collection in
                try await client.post(client.recordRoute(collection, "delete"), request)
            }
        }
    }

    /// Deletes every checkpoint vector whose metadata names the session.
    package func removeCheckpoints(ofSession session: ItemID) async throws {
        let request = ChromaAPI.Delete(where: .equals(ChromaAPI.MetadataKey.sessionID, .string(session.description)))
        try await withCollection(.checkpoint) { collection in
            try await client.post(client.recordRoute(collection, "delete"), request)
        }
    }

    /// How many vectors of `kind` the collection holds.
    package func count(_ kind: ItemKind) async throws -> Int {
        try await withCollection(kind) { collection in
            try await client.get(client.recordRoute(collection, "count"), as: Int.self)
        }
    }

    /// The record's metadata: never empty (`project`, `model` and `createdAt` are always there).
    static func metadata(_ embedding: ItemEmbedding) -> [String: ChromaAPI.MetadataValue] {
        typealias Key = ChromaAPI.MetadataKey
        var metadata: [String: ChromaAPI.MetadataValue] = [
            Key.project: .string(embedding.project),
            Key.model: .string(embedding.model),
            Key.createdAt: .int(Int64((embedding.createdAt.timeIntervalSince1970 * 1000).rounded())),
        ]
        if let type = embedding.patternType { metadata[Key.patternType] = .string(type.rawValue) }
        if let session = embedding.sessionID { metadata[Key.sessionID] = .string(session.description) }
        if let level = embedding.privacyLevel { metadata[Key.privacyLevel] = .string(level.rawValue) }
        return metadata
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements (none for an empty array).
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        let size = Swift.max(1, size)
        return stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

extension ChromaVectorIndex {
    /// For `memctx doctor`: each collection's vector count, or nil when the collection does not exist.
    /// Looks only; creates nothing.
    package func collectionCounts() async throws -> [ItemKind: Int?] {
        var counts: [ItemKind: Int?] = [:]
        for kind in ItemKind.allCases {
            let route = client.databaseRoute + ["collections", configuration.collectionName(for: kind)]
            do {
                let collection = try await client.get(route, as: ChromaAPI.Collection.self)
                counts[kind] = try await client.get(client.recordRoute(collection.id, "count"), as: Int.self)
            } catch let error as ContextError where error.code == .notFound {
                counts[kind] = .some(nil)
            }
        }
        return counts
    }
}
