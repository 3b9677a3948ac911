import Dispatch
package import Foundation

/// A stored item's vector and what search filters on.
package struct ItemEmbedding: Sendable, Hashable {
    package var kind: ItemKind
    package var id: ItemID
    package var model: String
    package var vector: [Float]
    package var createdAt: Date
    /// Filled when read back from a store (joined from the item), ignored when saving.
    package var project: String
    package var patternType: PatternType?
    package var sessionID: ItemID?
    /// The item's privacy level, for central indexes that filter on it.
    package var privacyLevel: PrivacyLevel?

    package init(
        kind: ItemKind,
        id: ItemID,
        model: String,
        vector: [Float],
        createdAt: Date,
        project: String,
        patternType: PatternType? = nil,
        sessionID: ItemID? = nil,
        privacyLevel: PrivacyLevel? = nil
    ) {
        self.kind = kind
        self.id = id
        self.model = model
        self.vector = vector
        self.createdAt = createdAt
        self.project = project
        self.patternType = patternType
        self.sessionID = sessionID
        self.privacyLevel = privacyLevel
    }
}

/// The vectors of one kind of item, held contiguously in memory for a brute-force cosine scan: exact
/// (no approximate index to tune or to drift from the stored vectors) and fast enough at the sizes a local
/// repository holds — 100,000 vectors of 384 floats scan in a few milliseconds, split over the cores.
///
/// Vectors are L2-normalised, so cosine similarity is a dot product.
package struct VectorTable: Sendable {
    package let dimension: Int
    private(set) package var ids: [ItemID] = []
    private var projectCodes: [Int32] = []
    private var projectNames: [String: Int32] = [:]
    private var patternTypes: [PatternType?] = []
    private var sessionIDs: [ItemID?] = []
    private var vectors: [Float] = []
    private var positions: [ItemID: Int] = [:]

    package init(dimension: Int) { self.dimension = dimension }

    package var count: Int { ids.count }

    /// Adds the vector, or replaces the one stored for the same id. Vectors of another dimension are refused.
    @discardableResult
    package mutating func upsert(_ embedding: ItemEmbedding) -> Bool {
        guard embedding.vector.count == dimension else { return false }
        let code = projectNames[embedding.project] ?? {
            let code = Int32(projectNames.count)
            projectNames[embedding.project] = code
            return code
        }()
        if let position = positions[embedding.id] {
            projectCodes[position] = code
            patternTypes[position] = embedding.patternType
            sessionIDs[position] = embedding.sessionID
            vectors.replaceSubrange(position * dimension..<(position + 1) * dimension, with: embedding.vector)
        } else {
            positions[embedding.id] = ids.count
            ids.append(embedding.id)
            projectCodes.append(code)
            patternTypes.append(embedding.patternType)
            sessionIDs.append(embedding.sessionID)
            vectors.append(contentsOf: embedding.vector)
        }
        return true
    }

    /// Removes the vector of `id`, if any (the last one moves into its place).
    package mutating func remove(_ id: ItemID) {
        guard let position = positions.removeValue(forKey: id) else { return }
        let last = ids.count - 1
        if position != last {
            ids[position] = ids[last]
            projectCodes[position] = projectCodes[last]
            patternTypes[position] = patternTypes[last]
            sessionIDs[position] = sessionIDs[last]
            vectors.replaceSubrange(position * dimension..<(position + 1) * dimension, with: vectors[last * dimension..<(last + 1) * dimension])
            positions[ids[position]] = position
        }
        ids.removeLast()
        projectCodes.removeLast()
        patternTypes.removeLast()
        sessionIDs.removeLast()
        vectors.removeLast(dimension)
    }

    /// The vector stored for `id`.
    package func vector(of id: ItemID) -> [Float]? {
        guard let position = positions[id] else { return nil }
        return Array(vectors[position * dimension..<(position + 1) * dimension])
    }

    /// The `limit` items most similar to `query` that pass `filter`, best first (ties by id), with their cosine.
    package func nearest(to query: [Float], filter: SearchFilter, limit: Int) -> [(id: ItemID, score: Float)] {
        guard query.count == dimension, limit > 0, !ids.isEmpty else { return [] }
        let project: Int32?
        switch filter.scope {
        case .all: project = nil
        case .only(let name):
            guard let code = projectNames[name] else { return [] }
            project = code
        }
        let count = ids.count
        // Two slices on two cores once the scan is long enough to pay for the hand-off.
        let slices = count >= 8192 ? min(ProcessInfo.processInfo.activeProcessorCount, 4) : 1
        let bests = UnsafeMutableBufferPointer<[(Int, Float)]>.allocate(capacity: slices)
        bests.initialize(repeating: [])
        defer {
            bests.deinitialize()
            bests.deallocate()
        }
        let sliceLength = (count + slices - 1) / slices
        vectors.withUnsafeBufferPointer { stored in
            query.withUnsafeBufferPointer { query in
                let buffers = ScanBuffers(stored: stored, query: query, results: bests)
                DispatchQueue.concurrentPerform(iterations: slices) { slice in
                    let range = (slice * sliceLength)..<min(count, (slice + 1) * sliceLength)
                    buffers.results[slice] = scan(buffers.stored, buffers.query, range: range, project: project, filter: filter, limit: limit)
                }
            }
        }
        let merged = bests.flatMap { $0 }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : ids[$0.0] < ids[$1.0] }
        return merged.prefix(limit).map { (ids[$0.0], $0.1) }
    }

    /// The buffers a parallel scan shares. @unchecked: while `concurrentPerform` runs, `stored` and `query`
    /// are only read, and each slice writes only its own element of `results`.
    private struct ScanBuffers: @unchecked Sendable {
        var stored: UnsafeBufferPointer<Float>
        var query: UnsafeBufferPointer<Float>
        var results: UnsafeMutableBufferPointer<[(Int, Float)]>
    }

    private func scan(
        _ stored: UnsafeBufferPointer<Float>,
        _ query: UnsafeBufferPointer<Float>,
        range: Range<Int>,
        project: Int32?,
        filter: SearchFilter,
        limit: Int
    ) -> [(Int, Float)] {
        var best: [(Int, Float)] = []
        best.reserveCapacity(limit + 1)
        var floor = -Float.infinity
        for position in range {
            if let project, projectCodes[position] != project { continue }
            if let type = filter.patternType, patternTypes[position] != type { continue }
            if let session = filter.sessionID, sessionIDs[position] != session { continue }
            let score = Self.dot(stored.baseAddress! + position &* dimension, query.baseAddress!, count: dimension)
            guard best.count < limit || score > floor else { continue }
            let index = best.firstIndex { $0.1 < score } ?? best.endIndex
            best.insert((position, score), at: index)
            if best.count > limit { best.removeLast() }
            if best.count == limit { floor = best[limit - 1].1 }
        }
        return best
    }

    /// Dot product, 8 lanes at a time (two SSE registers on baseline x86-64; wider SIMD types spill there)
    /// with four independent accumulators.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        typealias V = SIMD8<Float>
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        var s0 = V(), s1 = V(), s2 = V(), s3 = V()
        var i = 0
        while i &+ 32 <= count {
            let o = i &* 4
            s0 += rawA.loadUnaligned(fromByteOffset: o, as: V.self) * rawB.loadUnaligned(fromByteOffset: o, as: V.self)
            s1 += rawA.loadUnaligned(fromByteOffset: o &+ 32, as: V.self) * rawB.loadUnaligned(fromByteOffset: o &+ 32, as: V.self)
            s2 += rawA.loadUnaligned(fromByteOffset: o &+ 64, as: V.self) * rawB.loadUnaligned(fromByteOffset: o &+ 64, as: V.self)
            s3 += rawA.loadUnaligned(fromByteOffset: o &+ 96, as: V.self) * rawB.loadUnaligned(fromByteOffset: o &+ 96, as: V.self)
            i &+= 32
        }
        while i &+ 8 <= count {
            let o = i &* 4
            s0 += rawA.loadUnaligned(fromByteOffset: o, as: V.self) * rawB.loadUnaligned(fromByteOffset: o, as: V.self)
            i &+= 8
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            sum += a[i] * b[i]
            i &+= 1
        }
        return sum
    }
}
