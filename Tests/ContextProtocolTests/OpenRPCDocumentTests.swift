import ContextProtocol
import ContextTesting
import Foundation
import JSONRPC
import Testing

/// The repository's protocol/openrpc.json, read from disk.
private func documentOnDisk() throws -> JSONValue {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return try JSONValue.parse(Array(try Data(contentsOf: root.appendingPathComponent("protocol/openrpc.json"))))
}

private func methods(of document: JSONValue) -> [JSONValue] {
    document["methods"]?.arrayValue ?? []
}

@Suite("protocol/openrpc.json")
struct OpenRPCDocumentTests {
    @Test func embeddedDocumentIsTheFileOnDisk() throws {
        #expect(OpenRPCDocument.value == (try documentOnDisk()))
    }

    @Test func documentIsOpenRPC13() throws {
        let document = try documentOnDisk()
        #expect(document["openrpc"]?.stringValue?.hasPrefix("1.3") == true)
        #expect(document["info"]?["version"]?.stringValue == ServerIdentity.version)
    }

    @Test func catalogAndDocumentListTheSameMethodsBothWays() throws {
        let documented = Set(methods(of: try documentOnDisk()).compactMap { $0["name"]?.stringValue })
        let requests = Set(ProtocolCatalog.requests.map { $0.name })
        let notifications = Set(ProtocolCatalog.notifications.map { $0.name })
        #expect(documented == requests.union(notifications))
        #expect(requests.isDisjoint(with: notifications))
    }

    @Test func requestsHaveResultsAndNotificationsDoNot() throws {
        let requests = Set(ProtocolCatalog.requests.map { $0.name })
        for method in methods(of: try documentOnDisk()) {
            let name = method["name"]?.stringValue ?? ""
            #expect((method["result"] != nil) == requests.contains(name), "\(name)")
            #expect(method["summary"]?.stringValue?.isEmpty == false, "\(name) needs a summary")
            #expect(method["examples"]?.arrayValue?.isEmpty == false, "\(name) needs an example")
        }
    }

    @Test func everyExampleRoundTripsThroughTheWireTypes() throws {
        var checked = 0
        for method in methods(of: try documentOnDisk()) {
            let name = try #require(method["name"]?.stringValue)
            for example in method["examples"]?.arrayValue ?? [] {
                var params: [String: JSONValue] = [:]
                for pair in example["params"]?.arrayValue ?? [] {
                    params[try #require(pair["name"]?.stringValue)] = pair["value"]
                }
                if let request = ProtocolCatalog.requests.first(where: { $0.name == name }) {
                    try roundTrip(request, params: .object(params), result: example["result"]?["value"], name: name)
                } else if let notification = ProtocolCatalog.notifications.first(where: { $0.name == name }) {
                    try roundTripParams(notification.paramsType, .object(params), name: name)
                } else {
                    Issue.record("\(name) is documented but has no wire type")
                }
                checked += 1
            }
        }
        #expect(checked >= ProtocolCatalog.requests.count + ProtocolCatalog.notifications.count)
    }

    private func roundTrip<Method: RPCMethod>(
        _ method: Method.Type,
        params: JSONValue,
        result: JSONValue?,
        name: String
    ) throws {
        try roundTripParams(Method.Params.self, params, name: name)
        try roundTripValue(Method.Result.self, try #require(result, "\(name): example without result"), name: name)
    }

    private func roundTripParams<Params: Codable>(_ type: Params.Type, _ params: JSONValue, name: String) throws {
        if Params.self == EmptyParams.self {
            #expect(params == .object([:]), "\(name) takes no params")
            return
        }
        try roundTripValue(type, params, name: name)
    }

    /// Decodes the example into the Swift type, encodes it again, and compares JSON values.
    private func roundTripValue<Value: Codable>(_ type: Value.Type, _ value: JSONValue, name: String) throws {
        let encoder = WireCoding.makeEncoder()
        let decoded = try WireCoding.makeDecoder().decode(Value.self, from: try encoder.encode(value))
        let reencoded = try JSONValue.parse(Array(try encoder.encode(decoded)))
        #expect(reencoded == value, "\(name): \(Value.self) does not round-trip its example")
    }

    @Test func everyErrorReferenceResolves() throws {
        let document = try documentOnDisk()
        let errors = document["components"]?["errors"]
        for method in methods(of: document) {
            for reference in method["errors"]?.arrayValue ?? [] {
                let path = try #require(reference["$ref"]?.stringValue)
                let key = String(path.split(separator: "/").last ?? "")
                #expect(errors?[key] != nil, "\(path) does not resolve")
            }
        }
    }

    @Test func documentedErrorCodesMatchTheCodeTable() throws {
        let errors = try #require(try documentOnDisk()["components"]?["errors"])
        guard case .object(let table) = errors else {
            Issue.record("components.errors is not an object")
            return
        }
        let documented = Set(
            table.values.compactMap { value -> Int? in
                if case .int(let code)? = value["code"] { return Int(code) }
                return nil
            })
        let sent: Set<Int> = [
            JSONRPCErrorCode.parseError, .invalidRequest, .methodNotFound, .invalidParams, .internalError,
            .payloadTooLarge, .requestCancelled, .notFound, .conflict, .backendUnavailable, .featureUnavailable,
        ].reduce(into: []) { $0.insert($1.rawValue) }
        #expect(documented == sent)
    }

    @Test func everyArraySchemaHasItems() throws {
        func check(_ value: JSONValue, path: String) {
            switch value {
            case .object(let members):
                if members["type"] == "array" { #expect(members["items"] != nil, "\(path) is an array without items") }
                for (key, member) in members { check(member, path: path + "/" + key) }
            case .array(let elements):
                for (index, element) in elements.enumerated() { check(element, path: path + "/\(index)") }
            default:
                break
            }
        }
        check(try documentOnDisk(), path: "#")
    }
}

extension RPCNotification {
    static var paramsType: Params.Type { Params.self }
}
