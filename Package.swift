// swift-tools-version:6.2
import PackageDescription

/// Settings every target of ours shares (STYLE.md §2). `MEMCTX_WARNINGS_AS_ERRORS=1` (set by scripts/test.sh)
/// turns warnings into errors for our targets only, never for dependencies.
let strictSettings: [SwiftSetting] = {
    var settings: [SwiftSetting] = [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    ]
    if Context.environment["MEMCTX_WARNINGS_AS_ERRORS"] == "1" {
        settings.append(.treatAllWarnings(as: .error))
    }
    return settings
}()

let package = Package(
    name: "memctx",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "memctx", targets: ["memctx"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "JSONRPC",
            dependencies: [
                .product(name: "Logging", package: "swift-log")
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JSONRPCTests",
            dependencies: [
                "ContextTesting",
                "JSONRPC",
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ContextProtocol",
            dependencies: [
                "JSONRPC"
            ],
            swiftSettings: strictSettings,
            plugins: ["EmbedOpenRPC"]
        ),
        .testTarget(
            name: "ContextProtocolTests",
            dependencies: [
                "ContextProtocol",
                "ContextTesting",
                "JSONRPC",
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ContextCore",
            dependencies: [],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ContextCoreTests",
            dependencies: [
                "ContextCore",
                "ContextTesting",
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "SQLiteStorage",
            dependencies: [
                "ContextCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SQLiteStorageTests",
            dependencies: [
                "ContextCore",
                "ContextTesting",
                "SQLiteStorage",
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "PostgresStorage",
            dependencies: [
                "ContextCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PostgresStorageTests",
            dependencies: [
                "ContextCore",
                "ContextTesting",
                "PostgresStorage",
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ChromaStorage",
            dependencies: [
                "ContextCore"
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChromaStorageTests",
            dependencies: [
                "ChromaStorage",
                "ContextCore",
                "ContextTesting",
            ],
            swiftSettings: strictSettings
        ),

        .systemLibrary(
            name: "CBLAS",
            path: "Sources/CBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // The encoder's dense layers for a few rows (a search query) in C with AVX2/FMA, chosen at run time.
        // Optimised in debug builds too, like SentenceEmbedding: at -O0 its intrinsics would crawl.
        .target(
            name: "CKernels",
            path: "Sources/CKernels",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),

        .target(
            name: "SentenceEmbedding",
            dependencies: [
                "CBLAS",
                "CKernels",
                "ContextCore",
            ],
            // Optimised in debug builds too: the encoder's element-wise SIMD kernels are ~50× slower at -Onone,
            // which would make every test that embeds (and CI) crawl.
            swiftSettings: strictSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        .testTarget(
            name: "SentenceEmbeddingTests",
            dependencies: [
                "CKernels",
                "ContextCore",
                "SentenceEmbedding",
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),

        .testTarget(
            name: "SearchQualityTests",
            dependencies: [
                "ContextCore",
                "SQLiteStorage",
                "SentenceEmbedding",
            ],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ContextSync",
            dependencies: [
                "ContextCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ContextSyncTests",
            dependencies: [
                "ContextCore",
                "ContextSync",
                "ContextTesting",
                "SQLiteStorage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ContextServer",
            dependencies: [
                "ContextCore",
                "ContextProtocol",
                "JSONRPC",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ContextServerTests",
            dependencies: [
                "ContextCore",
                "ContextProtocol",
                "ContextServer",
                "ContextTesting",
                "JSONRPC",
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ContextCLI",
            dependencies: [
                "ChromaStorage",
                "ContextCore",
                "ContextProtocol",
                "ContextServer",
                "ContextSync",
                "JSONRPC",
                "PostgresStorage",
                "SQLiteStorage",
                "SentenceEmbedding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ContextCLITests",
            dependencies: [
                "ContextCLI",
                "ContextTesting",
                "JSONRPC",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        .executableTarget(
            name: "memctx",
            dependencies: [
                "ContextCLI"
            ],
            swiftSettings: strictSettings
        ),

        .target(
            name: "ContextTesting",
            dependencies: [
                "ContextCore",
                "JSONRPC",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),

        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "ContextTesting",
                "JSONRPC",
            ],
            // Client programs the tests run (the MCP Python SDK client), not Swift.
            exclude: ["Clients"],
            swiftSettings: strictSettings
        ),

        // Build-time only: embeds protocol/openrpc.json into ContextProtocol so `rpc.discover` needs no files.
        .executableTarget(
            name: "EmbedResourceTool",
            path: "Sources/EmbedResourceTool"
        ),
        .plugin(
            name: "EmbedOpenRPC",
            capability: .buildTool(),
            dependencies: ["EmbedResourceTool"]
        ),
    ]
)
