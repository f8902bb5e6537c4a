// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for promptc's parsers of untrusted input (issue 10). Built on their own, with
// the fuzzer sanitizer on, by `Tests/Fuzz/run`:
//   swift build --package-path Tests/Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Each target's entry (SwiftPM names it MODULE_main on Linux) runs libFuzzer's driver on the
// target's one-input function.
let package = Package(
    name: "promptc-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "promptc", path: "../..")],
    targets: [
        .target(name: "FuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["FuzzDriver"]),
        .executableTarget(name: "FuzzJSONParser", dependencies: ["FuzzSupport", .product(name: "EndpointModel", package: "promptc")]),
        .executableTarget(
            name: "FuzzSpecFrontEnd",
            dependencies: ["FuzzSupport", .product(name: "PromptCompiler", package: "promptc"), .product(name: "SpecFrontEnd", package: "promptc")]),
        .executableTarget(name: "FuzzRequestValidator", dependencies: ["FuzzSupport", .product(name: "EndpointModel", package: "promptc")]),
    ],
    swiftLanguageModes: [.v6]
)
