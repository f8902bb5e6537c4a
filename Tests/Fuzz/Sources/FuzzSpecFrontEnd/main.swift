import FuzzSupport
import Foundation
import PromptCompiler
import SpecFrontEnd

/// Any bytes as a spec file through the whole front end and checks (YAML to diagnostics): it
/// must end in diagnostics or a route table, never crash or hang; a compile with no errors must
/// have a route table; and every diagnostic must point into the file.
@_cdecl("FuzzSpecFrontEnd_main")
public func fuzzSpecFrontEndMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { fuzzSpecFrontEnd(UnsafeRawBufferPointer(start: $0, count: $1)) }
}

func fuzzSpecFrontEnd(_ bytes: UnsafeRawBufferPointer) -> CInt {
    let data = Data(bytes)
    // The file is named after the spec's `name:`, as the compiler requires, so that inputs get
    // past that check to the deeper ones.
    let text = String(decoding: data.prefix(4096), as: UTF8.self)
    let name = text.split(separator: "\n").first { $0.hasPrefix("name: ") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) } ?? "fuzz"
    let file = name.isEmpty || name.contains("/") ? "fuzz" : name
    let compilation = PromptCompiler.compile(files: [(path: "Prompts/\(file).yaml", contents: data)], config: nil)
    if compilation.errorCount == 0, compilation.routeTable == nil {
        fatalError("a compile without errors gave no route table")
    }
    // A diagnostic points into the file (or at the whole file, line 0), never past its end.
    let lines = SourceFile(path: "", text: String(decoding: data, as: UTF8.self)).lines.count
    for diagnostic in compilation.diagnostics where diagnostic.location.hasPosition {
        if diagnostic.location.line > lines || diagnostic.location.column < 1 {
            fatalError("a diagnostic outside the file: \(diagnostic.location) of \(lines) lines: \(diagnostic.message)")
        }
    }
    return 0
}
