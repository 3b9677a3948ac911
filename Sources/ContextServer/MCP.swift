import ContextProtocol
import Foundation
import JSONRPC

/// The Model Context Protocol on the same connection and method table (DESIGN.md §3, docs/clients.md).
///
/// - 2024-11-05 … 2025-11-25: `initialize` with `protocolVersion` (how an MCP client is told from an editor)
///   negotiates the version; `tools/list` and `tools/call` expose the context methods as tools.
/// - 2026-07-28 (stateless): `server/discover`; a request whose `params._meta` names a protocol version is
///   checked against the supported ones (-32022 otherwise) and its result carries `resultType` and the
///   server's identity in `_meta`. Nothing is inferred from earlier requests on the connection.
enum MCP {
    /// The versions of the handshake era, oldest first; the last is offered to clients asking for another.
    static let handshakeVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
    static let statelessVersion = "2026-07-28"
    static var supportedVersions: [String] { handshakeVersions + [statelessVersion] }
    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    /// -32022: the request names a protocol version the server does not speak.
    static let unsupportedVersionCode = -32022

    static var serverInfo: JSONValue {
        ["name": .string(ServerIdentity.name), "version": .string(ServerIdentity.version)]
    }

    static var capabilities: JSONValue {
        [
            "tools": ["listChanged": false], "resources": ["listChanged": false, "subscribe": false],
            "prompts": ["listChanged": false],
        ]
    }

    /// 2026-07-28: freshness hints of the cacheable methods' results (`ttlMs`, `cacheScope`). What does
    /// not change while the server runs may be kept an hour by anyone; stored items are private and stale
    /// at once.
    static func cacheHint(for method: String) -> (ttlMs: Int64, scope: String)? {
        switch method {
        case "server/discover", "tools/list", "prompts/list", "resources/templates/list": (3_600_000, "public")
        case "resources/list", "resources/read": (0, "private")
        default: nil
        }
    }

    // MARK: Resources and prompts

    static let resourceTemplates: JSONValue = [
        "resourceTemplates": [
            [
                "uriTemplate": "memctx://sessions/{id}", "name": "session",
                "description": "A work session: its fields and its latest checkpoints (getSession).",
                "mimeType": "application/json",
            ],
            [
                "uriTemplate": "memctx://checkpoints/{id}", "name": "checkpoint",
                "description": "A checkpoint recorded during a session (getCheckpoint).", "mimeType": "application/json",
            ],
        ]
    ]

    /// `resources/read`: the method and params behind a `memctx://` URI.
    static func resource(_ uri: String) -> (method: String, params: JSONValue)? {
        for (prefix, method) in [("memctx://sessions/", "getSession"), ("memctx://checkpoints/", "getCheckpoint")] {
            guard uri.hasPrefix(prefix) else { continue }
            let id = String(uri.dropFirst(prefix.count))
            guard !id.isEmpty, !id.contains("/") else { return nil }
            return (method, ["id": .string(id), "project": "*"])
        }
        return nil
    }

    static let prompts: JSONValue = [
        "prompts": [
            [
                "name": "resume",
                "title": "Resume work",
                "description": "Load what memctx remembers about a task (checkpoints, patterns, decisions) to continue it.",
                "arguments": [
                    ["name": "query", "description": "What you are about to work on.", "required": true],
                    ["name": "project", "description": "The project (default: the server's).", "required": false],
                    ["name": "tokenBudget", "description": "At most this many tokens of context (default 2000).", "required": false],
                ],
            ]
        ]
    ]

    static let instructions =
        "memctx is the memory of your past work: call loadContext with the task at hand before starting, saveCheckpoint after each meaningful step, and searchPatterns / savePattern for reusable solutions."

    /// The `initialize` result for an MCP client: the client's version when supported, else our latest.
    static func initializeResult(clientVersion: String) -> JSONValue {
        let version = handshakeVersions.contains(clientVersion) ? clientVersion : handshakeVersions.last!
        return [
            "protocolVersion": .string(version), "capabilities": capabilities, "serverInfo": serverInfo,
            "instructions": .string(instructions),
        ]
    }

    /// `server/discover` (2026-07-28).
    static var discoverResult: JSONValue {
        [
            "supportedVersions": .array(supportedVersions.map(JSONValue.string)), "capabilities": capabilities,
            "serverInfo": serverInfo, "instructions": .string(instructions), "ttlMs": 3_600_000,
            "cacheScope": "public",
        ]
    }

    // MARK: Tools

    /// The context methods offered as tools, in the document's order.
    static let toolMethods: Set<String> = [
        "saveCheckpoint", "getCheckpoint", "listCheckpoints", "createSession", "getSession", "listSessions",
        "updateSession", "deleteSession", "savePattern", "getPattern", "listPatterns", "searchPatterns",
        "searchSessions", "searchCheckpoints", "search", "loadContext", "stats", "health", "sync",
    ]

    static let readOnly: Set<String> = [
        "getCheckpoint", "listCheckpoints", "getSession", "listSessions", "getPattern", "listPatterns",
        "searchPatterns", "searchSessions", "searchCheckpoints", "search", "stats", "health",
    ]
    static let idempotent: Set<String> = readOnly.union(["deleteSession", "updateSession", "sync"])

    /// `tools/list`: each tool's `inputSchema` and `outputSchema` come from protocol/openrpc.json, with
    /// references inlined so clients need no resolver.
    static let tools: JSONValue = {
        let document = OpenRPCDocument.value
        let schemas = document["components"]?["schemas"]
        guard case .array(let methods)? = document["methods"] else { return ["tools": []] }
        var tools: [JSONValue] = []
        for method in methods {
            guard let name = method["name"]?.stringValue, toolMethods.contains(name) else { continue }
            var properties: [String: JSONValue] = [:]
            var required: [JSONValue] = []
            if case .array(let params)? = method["params"] {
                for param in params {
                    guard let paramName = param["name"]?.stringValue else { continue }
                    var schema = inline(param["schema"] ?? [:], schemas: schemas)
                    if case .object(var object) = schema, object["description"] == nil, let description = param["description"] {
                        object["description"] = description
                        schema = .object(object)
                    }
                    properties[paramName] = schema
                    if param["required"] == true { required.append(.string(paramName)) }
                }
            }
            var input: [String: JSONValue] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
            if !required.isEmpty { input["required"] = .array(required) }
            var tool: [String: JSONValue] = [
                "name": .string(name),
                "description": method["summary"] ?? .string(name),
                "inputSchema": .object(input),
                "annotations": [
                    "readOnlyHint": .bool(readOnly.contains(name)),
                    "destructiveHint": .bool(name == "deleteSession"),
                    "idempotentHint": .bool(idempotent.contains(name)),
                    "openWorldHint": false,
                ],
            ]
            if let result = method["result"]?["schema"] {
                let output = inline(result, schemas: schemas)
                if output["type"] == "object" { tool["outputSchema"] = output }
            }
            tools.append(.object(tool))
        }
        return ["tools": .array(tools)]
    }()

    /// The schema with every `#/components/schemas/X` reference replaced by the schema it names.
    static func inline(_ schema: JSONValue, schemas: JSONValue?, depth: Int = 0) -> JSONValue {
        guard depth < 16 else { return [:] }
        switch schema {
        case .object(let object):
            if case .string(let reference)? = object["$ref"], reference.hasPrefix("#/components/schemas/"),
                let target = schemas?[String(reference.dropFirst("#/components/schemas/".count))]
            {
                var resolved = inline(target, schemas: schemas, depth: depth + 1)
                if case .object(var merged) = resolved {
                    for (key, value) in object where key != "$ref" { merged[key] = value }
                    resolved = .object(merged)
                }
                return resolved
            }
            return .object(object.mapValues { inline($0, schemas: schemas, depth: depth + 1) })
        case .array(let items):
            return .array(items.map { inline($0, schemas: schemas, depth: depth + 1) })
        default:
            return schema
        }
    }

    /// A tool's result: the method's result as `structuredContent` and as one text block; a failed call
    /// (bad arguments, not found, a backend away) as a result with `isError` and a message that says how to
    /// fix the call, so the model can correct itself.
    static func toolResult(success bytes: [UInt8]) -> JSONValue {
        let text = String(decoding: bytes, as: UTF8.self)
        var result: [String: JSONValue] = ["content": [["type": "text", "text": .string(text)]], "isError": false]
        if let structured = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)), case .object = structured {
            result["structuredContent"] = structured
        }
        return .object(result)
    }

    static func toolResult(failure error: JSONRPCError, tool: String) -> JSONValue {
        var message = error.message
        if let field = error.data?["field"]?.stringValue {
            message += " (argument '\(field)'; the tool's inputSchema lists what \(tool) accepts)"
        }
        return ["content": [["type": "text", "text": .string(message)]], "isError": true]
    }
}
