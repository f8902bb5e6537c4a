// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for promptc's parsers of untrusted input (issue 10). Built on their own, with
// the fuzzer sanitizer on, by `Tests/Fuzz/run`:
//   swift build --package-path Tests/Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// Each target defines LLVMFuzzerTestOneInput; libFuzzer supplies main.
let package = Package(
    name: "promptc-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "promptc", path: "../..")],
    targets: [
        .executableTarget(name: "FuzzJSONParser", dependencies: [.product(name: "EndpointModel", package: "promptc")]),
        .executableTarget(name: "FuzzSpecFrontEnd", dependencies: [.product(name: "PromptCompiler", package: "promptc")]),
        .executableTarget(name: "FuzzRequestValidator", dependencies: [.product(name: "EndpointModel", package: "promptc")]),
    ],
    swiftLanguageModes: [.v6]
)
