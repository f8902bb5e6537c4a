// swift-tools-version: 6.1
import PackageDescription

// Modules follow the data's path:
//   SpecFrontEnd   YAML files -> spec trees with source positions, diagnostics
//   EndpointModel  the typed endpoint definitions (IR) shared by the compiler and the gateway:
//                  schemas and their validator, templates, the route table format
//   PromptCompiler spec trees -> checked EndpointModel values -> artifacts in Generated/
//   PromptGateway  the runtime: loads the route table, serves it over HTTP (Hummingbird), and
//                  calls providers through each endpoint's fallback chain (its own HTTP/1.1
//                  client on SwiftNIO: Upstream/HTTP1);
//                  its fronts (REST, SSE, the OpenAI-compatible API, MCP) share one pipeline
//   promptc        the command-line interface
// Release builds of the executables link with lld, the toolchain's own linker, and pack the
// relative relocations (DT_RELR, glibc 2.36 or later): the loader then reads 20 KB of them at
// start instead of gold's 2.2 MB, 2 MiB less resident (README, Performance). lld also takes the
// hot-code order of Benchmarks/build-lean.
let releaseLinking: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(configuration: .release))
]

let package = Package(
    name: "promptc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "promptc", targets: ["promptc"]),
        .library(name: "PromptCompiler", targets: ["PromptCompiler"]),
        .library(name: "EndpointModel", targets: ["EndpointModel"]),
        .library(name: "SpecFrontEnd", targets: ["SpecFrontEnd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", exact: "6.4.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", exact: "0.12.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", exact: "2.1.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", exact: "1.7.3"),
        // OTLP over HTTP only (JSON or protobuf): the gRPC exporter would build grpc-swift for nothing.
        .package(url: "https://github.com/swift-otel/swift-otel.git", exact: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(
            name: "SpecFrontEnd",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(name: "EndpointModel"),
        .target(
            name: "PromptCompiler",
            dependencies: [
                "SpecFrontEnd",
                "EndpointModel",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "PromptGateway",
            dependencies: [
                "EndpointModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            // The portal's templates, stylesheet and script are built into the binary by the plugin.
            exclude: ["Portal/Assets"],
            plugins: [.plugin(name: "EmbedPortalAssets")]
        ),
        // Linked like promptc: Benchmarks/build-lean's linker flags reach every link of the build.
        .executableTarget(name: "PortalAssetEmbedder", linkerSettings: releaseLinking),
        // Benchmarks/run's server-side floors: NIO's HTTP/1.1 pipeline, or a bare Hummingbird
        // application, answering a fixed body.
        .executableTarget(
            name: "promptc-server-floor",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Benchmarks/ServerFloor"
        ),
        .plugin(name: "EmbedPortalAssets", capability: .buildTool(), dependencies: ["PortalAssetEmbedder"]),
        .executableTarget(
            name: "promptc",
            dependencies: [
                "PromptCompiler",
                "PromptGateway",
                "EndpointModel",
                "SpecFrontEnd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: releaseLinking
        ),
        // The compiler's Swift output for Prompts/, built with the package so that a generator
        // that writes broken Swift breaks the build.
        .target(
            name: "PromptcEndpoints",
            path: "Generated",
            exclude: ["routes.json", "openapi.json"],
            sources: ["Endpoints.swift"]
        ),
        .testTarget(name: "SpecFrontEndTests", dependencies: ["SpecFrontEnd"]),
        .testTarget(name: "EndpointModelTests", dependencies: ["EndpointModel"]),
        .testTarget(
            name: "PromptCompilerTests",
            dependencies: [
                "PromptCompiler",
                "PromptcEndpoints",
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ]
        ),
        .testTarget(
            name: "PromptcCLITests",
            dependencies: ["promptc", .product(name: "Hummingbird", package: "hummingbird")]
        ),
        .testTarget(
            name: "PromptGatewayTests",
            dependencies: [
                "PromptGateway",
                "PromptCompiler",
                "PromptcEndpoints",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
