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
            object["_meta"] = nil
            params = RawJSON(ArraySlice(try WireCoding.encode(JSONValue.object(object))))
        }
        let result = try await dispatch(method, params: params, context: context)
        guard isStateless, case .object(var object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(result)) else {
            return result
        }
        object["resultType"] = "complete"
        var meta: [String: JSONValue] = [:]
        if case .object(let existing)? = object["_meta"] { meta = existing }
        meta[MCP.serverInfoKey] = MCP.serverInfo
        object["_meta"] = .object(meta)
        return try WireCoding.encode(JSONValue.object(object))
    }

    /// The MCP methods, then the method table.
    private func dispatch(_ method: String, params: RawJSON?, context: RequestContext) async throws -> [UInt8] {
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
            return try WireCoding.encode(try await callTool(params: params, context: context))
        default:
            break
        }
        return try await registry.handleRequest(method, params: params, context: context)
    }

    /// `tools/call`: the tool's method with `arguments` as its params.
    private func callTool(params: RawJSON?, context: RequestContext) async throws -> JSONValue {
        guard let raw = params, case .object(let object) = try WireCoding.decodeParams(JSONValue.self, from: raw) else {
            throw JSONRPCError.invalidParams(field: "name", reason: "tools/call needs {\"name\": …, \"arguments\": {…}}")
        }
        guard let name = object["name"]?.stringValue, MCP.toolMethods.contains(name) else {
            throw JSONRPCError.invalidParams(
                field: "name", reason: "is not a tool of this server (tools/list lists them): \(object["name"]?.stringValue ?? "missing")")
        }
        let arguments = object["arguments"] ?? [:]
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
