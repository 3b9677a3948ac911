import Foundation

/// The request and response bodies of ChromaDB's HTTP API v2 that the index uses, mirroring its JSON
/// (keys as Chroma spells them). See /work/shared/reference/chroma-api.md for captured exchanges.
enum ChromaAPI {
    /// `GET /api/v2/heartbeat` → `{"nanosecond heartbeat": 1795587481329047000}`.
    struct Heartbeat: Decodable {
        var nanosecondHeartbeat: Int64

        enum CodingKeys: String, CodingKey { case nanosecondHeartbeat = "nanosecond heartbeat" }
    }

    /// `POST /api/v2/tenants` and `POST /api/v2/tenants/{tenant}/databases` (answer `{}`, 409 if it exists).
    struct CreateNamed: Encodable, Hashable {
        var name: String
    }

    /// `POST …/collections`: with `get_or_create`, an existing collection is returned with its original
    /// configuration (which the caller must check).
    struct CreateCollection: Encodable, Hashable {
        var name: String
        var configuration: CollectionConfiguration?
        /// Never `{}` (Chroma answers 400 "Metadata cannot be empty"): nil is left out.
        var metadata: [String: MetadataValue]?
        var getOrCreate: Bool

        enum CodingKeys: String, CodingKey {
            case name, configuration, metadata
            case getOrCreate = "get_or_create"
        }
    }

    /// `{"hnsw": {"space": "cosine"}}` on creation; `configuration_json` of a collection (Chroma Cloud
    /// reports `spann` instead of `hnsw`).
    struct CollectionConfiguration: Codable, Hashable {
        var hnsw: IndexConfiguration?
        var spann: IndexConfiguration?

        /// The distance function, from whichever index the server reports.
        var space: String? { hnsw?.space ?? spann?.space }
    }

    struct IndexConfiguration: Codable, Hashable {
        /// `l2` (Chroma's default), `cosine` or `ip`.
        var space: String?
    }

    /// A collection as `POST …/collections` and `GET …/collections/{name}` return it (other fields ignored).
    struct Collection: Decodable, Hashable {
        /// The UUID that every record route takes.
        var id: String
        var name: String
        var configurationJSON: CollectionConfiguration?
        /// Fixed by the first add; nil while the collection is empty.
        var dimension: Int?

        enum CodingKeys: String, CodingKey {
            case id, name, dimension
            case configurationJSON = "configuration_json"
        }
    }

    /// `POST …/collections/{uuid}/upsert` → `{}`. (`add` would silently keep an existing id's old record.)
    struct Upsert: Encodable, Hashable {
        var ids: [String]
        var embeddings: [[Float]]
        var metadatas: [[String: MetadataValue]]
    }

    /// `POST …/collections/{uuid}/query`.
    struct Query: Encodable, Hashable {
        var queryEmbeddings: [[Float]]
        var nResults: Int
        var `where`: Where?
        var include: [Include]

        enum CodingKeys: String, CodingKey {
            case queryEmbeddings = "query_embeddings"
            case nResults = "n_results"
            case `where`, include
        }
    }

    /// One inner list per query vector; `distances` is present when included.
    struct QueryResult: Decodable, Hashable {
        var ids: [[String]]
        var distances: [[Float?]]?
        /// Present when included; only string values are kept (the ones filters compare).
        var metadatas: [[[String: MetadataText]?]]?
    }

    /// A metadata value read back: its text when it is a string, nil for numbers and Booleans.
    struct MetadataText: Decodable, Hashable {
        var text: String?

        init(from decoder: any Decoder) throws {
            text = try? decoder.singleValueContainer().decode(String.self)
        }
    }

    /// `POST …/collections/{uuid}/get`: missing ids are simply absent from the answer.
    struct Get: Encodable, Hashable {
        var ids: [String]
        var include: [Include]
    }

    /// Flat lists, in the same order.
    struct GetResult: Decodable, Hashable {
        var ids: [String]
        var embeddings: [[Float]]?
    }

    /// `POST …/collections/{uuid}/delete` → `{"deleted": n}` (n counts the ids sent, even unknown ones): by
    /// ids, or every record whose metadata matches `where`.
    struct Delete: Encodable, Hashable {
        var ids: [String]?
        var `where`: Where?
    }

    enum Include: String, Codable, Hashable {
        case distances, embeddings, metadatas, documents
    }

    /// Every error answer: `{"error": "InvalidArgumentError", "message": "…"}`.
    struct Failure: Decodable, Hashable {
        var error: String?
        var message: String?
    }
}
