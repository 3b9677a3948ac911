import Foundation

/// The environment of a `memctx` process a test starts.
///
/// The end-to-end suite runs twice (scripts/test.sh): against the local repository, and with
/// `MEMCTX_E2E_CENTRAL=1` against the central one (the services of scripts/dev-services.sh). The central URLs
/// are in the test process's environment both times, for the backend suites; a local run removes them from
/// its children. A central run gives each memctx home its own PostgreSQL schema and ChromaDB collection
/// prefix, derived from the home's path: processes sharing a home share a repository, and no test sees
/// another's items.
package enum ChildEnvironment {
    /// Whether this run's servers use the central repository.
    package static var isCentral: Bool { ProcessInfo.processInfo.environment["MEMCTX_E2E_CENTRAL"] == "1" }

    /// The test process's environment, then `overrides`, adjusted for the run's repository. Central URLs a
    /// test passes in `overrides` are always kept.
    package static func make(_ overrides: [String: String]) -> [String: String] {
        var base = ProcessInfo.processInfo.environment
        if !isCentral {
            base["MEMCTX_DATABASE_URL"] = nil
            base["MEMCTX_CHROMA_URL"] = nil
        }
        var environment = base.merging(overrides) { _, new in new }
        guard isCentral else { return environment }
        let name = "e2e_" + fnv1a(environment["MEMCTX_HOME"] ?? "default")
        if overrides["MEMCTX_DATABASE_SCHEMA"] == nil { environment["MEMCTX_DATABASE_SCHEMA"] = name }
        if overrides["MEMCTX_CHROMA_PREFIX"] == nil { environment["MEMCTX_CHROMA_PREFIX"] = name + "_" }
        return environment
    }

    private static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}
