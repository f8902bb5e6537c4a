import Foundation
import PromptCompiler
import SpecFrontEnd

/// A spec with every required key, for tests that break one thing at a time.
let minimalSpec = """
    name: demo
    description: A demo endpoint.
    input:
      text: string
    output:
      label: string
    models:
      - openai/gpt-4o-mini
    prompt:
      user: "{{text}}"

    """

/// The place a test expects a diagnostic: `»` in a test's YAML marks it, and is removed.
struct Marked {
    let text: String
    let line: Int
    let column: Int

    init(_ marked: String) {
        var line = 1, column = 1
        var found: (Int, Int)?
        var text = String.UnicodeScalarView()
        for scalar in marked.unicodeScalars {
            if scalar == "»" {
                found = (line, column)
                continue
            }
            text.append(scalar)
            if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        self.text = String(text)
        (self.line, self.column) = found ?? (0, 0)
    }
}

func compile(_ files: [String: String], config: String? = nil) -> Compilation {
    PromptCompiler.compile(
        files: files.map { (path: "Prompts/\($0.key)", contents: Data($0.value.utf8)) },
        config: config.map { (path: "promptc.yaml", contents: Data($0.utf8)) })
}

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The example specs in Prompts/, compiled as `promptc compile` in the repository's root would.
func compileExampleSpecs() throws -> Compilation {
    let folder = repositoryRoot.appendingPathComponent("Prompts")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
    return PromptCompiler.compile(files: try names.map {
        (path: "Prompts/\($0)", contents: try Data(contentsOf: folder.appendingPathComponent($0)))
    })
}

func describe(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map { "\($0.location.line):\($0.location.column) \($0.code.rawValue) \($0.message)" }.joined(separator: "\n")
}
