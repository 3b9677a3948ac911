/// Serializes responses by hand around already-encoded results, so the id is echoed byte for byte and the
/// result is encoded once.
package enum ResponsePayload {
    private static let head = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
    private static let resultKey = Array(#","result":"#.utf8)
    private static let errorKey = Array(#","error":"#.utf8)

    /// `{"jsonrpc":"2.0","id":ID,"result":RESULT}`
    package static func result(id: RequestID, result: [UInt8]) -> [UInt8] {
        var payload: [UInt8] = []
        payload.reserveCapacity(head.count &+ id.json.count &+ resultKey.count &+ result.count &+ 1)
        payload.append(contentsOf: head)
        payload.append(contentsOf: id.json)
        payload.append(contentsOf: resultKey)
        payload.append(contentsOf: result)
        payload.append(UInt8(ascii: "}"))
        return payload
    }

    /// `{"jsonrpc":"2.0","id":ID,"error":{"code":…,"message":…,"data":…}}`
    package static func error(id: RequestID, error: JSONRPCError) -> [UInt8] {
        let encoded: [UInt8]
        if let bytes = try? WireCoding.encode(error) {
            encoded = bytes
        } else {
            encoded = Array(#"{"code":-32603,"message":"Internal error"}"#.utf8)
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(head.count &+ id.json.count &+ errorKey.count &+ encoded.count &+ 1)
        payload.append(contentsOf: head)
        payload.append(contentsOf: id.json)
        payload.append(contentsOf: errorKey)
        payload.append(contentsOf: encoded)
        payload.append(UInt8(ascii: "}"))
        return payload
    }

    /// `[A,B,…]` for a batch.
    package static func batch(_ payloads: [[UInt8]]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "[")]
        for (index, payload) in payloads.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: payload)
        }
        output.append(UInt8(ascii: "]"))
        return output
    }
}
