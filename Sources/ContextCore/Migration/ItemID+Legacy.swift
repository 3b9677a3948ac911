import Foundation

extension ItemID {
    /// The id of a legacy row, derived from its table and business key alone (a UUIDv8 of RFC 9562 whose 122
    /// free bits come from SHA-256): migrating the same database twice finds the same ids, so nothing is
    /// imported twice.
    package static func legacy(_ table: String, _ key: String) -> ItemID {
        var hasher = SHA256()
        hasher.update("memctx-legacy/v1/\(table)/\(key)")
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return ItemID(
            UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
                )))
    }
}
