// swift-tools-version: 6.1
import PackageDescription

// Modules follow the data's path:
//   SpecFrontEnd   YAML files -> spec trees with source positions, diagnostics
//   EndpointModel  the typed endpoint definitions (IR) shared by the compiler and the gateway:
//                  schemas and their validator, templates, the route table format
//   PromptCompiler spec trees -> checked EndpointModel values -> artifacts in Generated/
//   (PromptGateway, the runtime that serves routes.json, comes next: issue 3)
//   promptc        the command-line interface
let package = Package(
    name: "promptc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "promptc", targets: ["promptc"]),
        .library(name: "PromptCompiler", targets: ["PromptCompiler"]),
        .library(name: "EndpointModel", targets: ["EndpointModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", exact: "6.4.0"),
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
        .executableTarget(
            name: "promptc",
            dependencies: [
                "PromptCompiler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
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
        .testTarget(name: "PromptcCLITests", dependencies: ["promptc"]),
    ],
    swiftLanguageModes: [.v6]
)
