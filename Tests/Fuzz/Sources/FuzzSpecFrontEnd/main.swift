import Foundation
import PromptCompiler

/// Any bytes as a spec file through the whole front end and checks (YAML to diagnostics): it
/// must end in diagnostics or a route table, never crash or hang; and a compile with no errors
/// must have a route table.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSpecFrontEnd(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    // The file is named after the spec's `name:`, as the compiler requires, so that inputs get
    // past that check to the deeper ones.
    let text = String(decoding: data.prefix(4096), as: UTF8.self)
    let name = text.split(separator: "\n").first { $0.hasPrefix("name: ") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) } ?? "fuzz"
    let file = name.isEmpty || name.contains("/") ? "fuzz" : name
    let compilation = PromptCompiler.compile(files: [(path: "Prompts/\(file).yaml", contents: data)], config: nil)
    if compilation.errorCount == 0, compilation.routeTable == nil {
        fatalError("a compile without errors gave no route table")
    }
    for diagnostic in compilation.diagnostics where diagnostic.location.line < 1 {
        fatalError("a diagnostic without a line: \(diagnostic.message)")
    }
    return 0
}
