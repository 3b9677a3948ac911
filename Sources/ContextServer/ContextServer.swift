package import ContextCore
import ContextProtocol
import Foundation
package import JSONRPC
package import Logging

/// The memctx method table with the LSP lifecycle around it. ContextCLI hands it to a `Connection`.
///
/// Requests may come without `initialize` (scripts); after `shutdown` every request but `exit` gets -32600.
package final class ContextServer: MessageDispatcher {
    package let registry: MethodRegistry
    private let lifecycle: Lifecycle

    package init(configuration: ServerConfiguration, service: ContextService, logger: Logger) {
        let lifecycle = Lifecycle()
        var registry = MethodRegistry()
        registry.registerLifecycle(lifecycle)
        registry.registerOperations(configuration: configuration)
        registry.registerSessions(service)
        registry.registerCheckpoints(service)
        registry.registerPatterns(service)
        registry.registerSearch(service)
        registry.registerContext(service, configuration: configuration)
        registry.registerTransfer(service)
        self.registry = registry
        self.lifecycle = lifecycle
    }

    package func admit(method: String, context: RequestContext) -> JSONRPCError? {
        if lifecycle.isShutdownRequested {
            return .invalidRequest("the server is shutting down; only the 'exit' notification is accepted")
        }
        // Decided here, in message order, so that an `exit` right behind `shutdown` sees it.
        if method == "shutdown" { lifecycle.requestShutdown() }
        return nil
    }

    package func handleRequest(_ method: String, params: RawJSON?, context: RequestContext) async throws -> [UInt8] {
        // MCP 2026-07-28: a version in `params._meta` is checked, `_meta` is not a param of the method, and
        // the result says it is complete and who answered.
        var params = params
        var isStateless = false
        var progressToken: JSONValue?
        if let raw = params, Self.mentionsMeta(raw.bytes),
            case .object(var object) = try WireCoding.decodeParams(JSONValue.self, from: raw),
            let meta = object["_meta"]
        {
            if let version = meta[MCP.versionKey]?.stringValue {
                guard MCP.supportedVersions.contains(version) else {
                    throw JSONRPCError(
                        code: JSONRPCErrorCode(rawValue: MCP.unsupportedVersionCode),
                        message: "unsupported protocol version '\(version)'; this server supports \(MCP.supportedVersions.joined(separator: ", "))",
                        data: ["supported": .array(MCP.supportedVersions.map(JSONValue.string)), "requested": .string(version)]
                    )
                }
                isStateless = true
            }
            progressToken = meta["progressToken"]
            object["_meta"] = nil
            params = RawJSON(ArraySlice(try WireCoding.encode(JSONValue.object(object))))
        }
        let result = try await dispatch(method, params: params, context: context, progressToken: progressToken)
        guard isStateless, case .object(var object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(result)) else {
            return result
        }
        object["resultType"] = "complete"
        if let hint = MCP.cacheHint(for: method) {
            object["ttlMs"] = .int(hint.ttlMs)
            object["cacheScope"] = .string(hint.scope)
        }
        var meta: [String: JSONValue] = [:]
        if case .object(let existing)? = object["_meta"] { meta = existing }
        meta[MCP.serverInfoKey] = MCP.serverInfo
        object["_meta"] = .object(meta)
        return try WireCoding.encode(JSONValue.object(object))
    }

    /// The MCP methods, then the method table.
    private func dispatch(_ method: String, params: RawJSON?, context: RequestContext, progressToken: JSONValue?)
        async throws -> [UInt8]
    {
        switch method {
        case "initialize":
            // An MCP client names the protocol version it speaks; an editor (LSP) does not.
            if let raw = params, case .object(let object) = try WireCoding.decodeParams(JSONValue.self, from: raw),
                let version = object["protocolVersion"]?.stringValue
            {
                return try WireCoding.encode(MCP.initializeResult(clientVersion: version))
            }
        case "server/discover":
            return try WireCoding.encode(MCP.discoverResult)
        case "tools/list":
            return try WireCoding.encode(MCP.tools)
        case "tools/call":
            return try WireCoding.encode(try await callTool(params: params, context: context, progressToken: progressToken))
        case "resources/list":
            return try WireCoding.encode(try await listResources(context: context))
        case "resources/templates/list":
            return try WireCoding.encode(MCP.resourceTemplates)
        case "resources/read":
            return try WireCoding.encode(try await readResource(params: params, context: context))
        case "prompts/list":
            return try WireCoding.encode(MCP.prompts)
        case "prompts/get":
            return try WireCoding.encode(try await prompt(params: params, context: context))
        default:
            break
        }
        return try await registry.handleRequest(method, params: params, context: context)
    }

    /// `tools/call`: the tool's method with `arguments` as its params. With a `progressToken`, the client hears
    /// `notifications/progress` when the call starts (0 of 1) and when it is done (1 of 1).
    private func callTool(params: RawJSON?, context: RequestContext, progressToken: JSONValue?) async throws -> JSONValue {
        guard let raw = params, case .object(let object) = try WireCoding.decodeParams(JSONValue.self, from: raw) else {
            throw JSONRPCError.invalidParams(field: "name", reason: "tools/call needs {\"name\": …, \"arguments\": {…}}")
        }
        guard let name = object["name"]?.stringValue, MCP.toolMethods.contains(name) else {
            throw JSONRPCError.invalidParams(
                field: "name", reason: "is not a tool of this server (tools/list lists them): \(object["name"]?.stringValue ?? "missing")")
        }
        let arguments = object["arguments"] ?? [:]
        func progress(_ done: Int64, _ message: String) {
            guard let progressToken else { return }
            context.connection.notify(
                "notifications/progress",
                params: ["progressToken": progressToken, "progress": .int(done), "total": 1, "message": .string(message)],
                framing: context.framing)
        }
        progress(0, "\(name) started")
        defer { progress(1, "\(name) done") }
        do {
            let bytes = try await registry.handleRequest(
                name, params: RawJSON(ArraySlice(try WireCoding.encode(arguments))), context: context)
            return MCP.toolResult(success: bytes)
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as any JSONRPCErrorConvertible {
            let wire = error.jsonRPCError
            if wire.code == .requestCancelled { throw CancellationError() }
            return MCP.toolResult(failure: wire, tool: name)
        }
    }

    /// Calls a method of the table with `params`, decoding its result.
    private func call(_ method: String, _ params: JSONValue, context: RequestContext) async throws -> JSONValue {
        let bytes = try await registry.handleRequest(method, params: RawJSON(ArraySlice(try WireCoding.encode(params))), context: context)
        return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// `resources/list`: the 20 most recent sessions and checkpoints of the default project.
    private func listResources(context: RequestContext) async throws -> JSONValue {
        var resources: [JSONValue] = []
        if case .array(let sessions)? = try await call("listSessions", ["limit": 20], context: context)["sessions"] {
            for session in sessions {
                guard let id = session["id"]?.stringValue else { continue }
                resources.append([
                    "uri": .string("memctx://sessions/\(id)"), "name": session["title"] ?? .string(id),
                    "description": .string("session of \(session["project"]?.stringValue ?? "?"), updated \(session["updatedAt"]?.stringValue ?? "?")"),
                    "mimeType": "application/json",
                ])
            }
        }
        if case .array(let checkpoints)? = try await call("listCheckpoints", ["limit": 20], context: context)["checkpoints"] {
            for checkpoint in checkpoints {
                guard let id = checkpoint["id"]?.stringValue else { continue }
                resources.append([
                    "uri": .string("memctx://checkpoints/\(id)"), "name": checkpoint["description"] ?? .string(id),
                    "description": .string("checkpoint of \(checkpoint["createdAt"]?.stringValue ?? "?")"),
                    "mimeType": "application/json",
                ])
            }
        }
        return ["resources": .array(resources)]
    }

    private func readResource(params: RawJSON?, context: RequestContext) async throws -> JSONValue {
        guard let raw = params, case .object(let object) = try WireCoding.decodeParams(JSONValue.self, from: raw),
            let uri = object["uri"]?.stringValue
        else { throw JSONRPCError.invalidParams(field: "uri", reason: "is required") }
        guard let (method, arguments) = MCP.resource(uri) else {
            throw JSONRPCError.invalidParams(
                field: "uri", reason: "is not a memctx resource (memctx://sessions/{id} or memctx://checkpoints/{id})")
        }
        let value = try await call(method, arguments, context: context)
        let text = String(decoding: try WireCoding.encode(value), as: UTF8.self)
        return ["contents": [["uri": .string(uri), "mimeType": "application/json", "text": .string(text)]]]
    }

    /// `prompts/get` for `resume`: the context `loadContext` packs for the query, as a user message.
    private func prompt(params: RawJSON?, context: RequestContext) async throws -> JSONValue {
        guard let raw = params, case .object(let object) = try WireCoding.decodeParams(JSONValue.self, from: raw) else {
            throw JSONRPCError.invalidParams(field: "name", reason: "is required")
        }
        guard object["name"] == "resume" else {
            throw JSONRPCError.invalidParams(field: "name", reason: "is not a prompt of this server (prompts/list lists them)")
        }
        let arguments = object["arguments"] ?? [:]
        guard let query = arguments["query"]?.stringValue, !query.isEmpty else {
            throw JSONRPCError.invalidParams(field: "arguments.query", reason: "is required: what you are about to work on")
        }
        var request: [String: JSONValue] = ["query": .string(query)]
        if let project = arguments["project"]?.stringValue, !project.isEmpty { request["project"] = .string(project) }
        // Prompt arguments are strings.
        if let budget = arguments["tokenBudget"]?.stringValue, let value = Int(budget) { request["tokenBudget"] = .int(Int64(value)) }
        let loaded = try await call("loadContext", .object(request), context: context)
        let packed = loaded["context"]?.stringValue ?? ""
        let text =
            packed.isEmpty
            ? "memctx has nothing stored yet that matches \"\(query)\". Save checkpoints as you work (saveCheckpoint)."
            : "Here is what memctx remembers that is relevant to \"\(query)\". Use it to resume the work:\n\n\(packed)"
        return [
            "description": .string("Context for: \(query)"),
            "messages": [["role": "user", "content": ["type": "text", "text": .string(text)]]],
        ]
    }

    /// Whether the params mention `"_meta"` at all (a byte search, so other requests pay nothing).
    private static func mentionsMeta(_ bytes: ArraySlice<UInt8>) -> Bool {
        let needle = Array("\"_meta\"".utf8)
        guard bytes.count >= needle.count else { return false }
        var index = bytes.startIndex
        while index <= bytes.endIndex - needle.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    package func handleNotification(_ method: String, params: RawJSON?, context: RequestContext) async {
        switch method {
        case "notifications/initialized":
            return
        case "notifications/cancelled":
            // MCP: stop the work and send no response.
            guard let raw = params, case .object(let object)? = try? WireCoding.decodeParams(JSONValue.self, from: raw),
                let id = object["requestId"]
            else { return }
            switch id {
            case .string(let text): context.connection.cancelRequest(RequestID(text), silently: true)
            case .int(let number): context.connection.cancelRequest(RequestID(Int(number)), silently: true)
            default: return
            }
        default:
            await registry.handleNotification(method, params: params, context: context)
        }
    }
}
