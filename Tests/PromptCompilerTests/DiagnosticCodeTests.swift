import Foundation
import PromptCompiler
import SpecFrontEnd
import Testing

/// One broken spec per diagnostic code: the code, and the line:column the `»` marks.
struct DiagnosticCase: CustomTestStringConvertible, Sendable {
    var code: DiagnosticCode
    var spec: String
    var config: String?

    init(_ code: DiagnosticCode, _ spec: String, config: String? = nil) {
        self.code = code
        self.spec = spec
        self.config = config
    }

    var testDescription: String { code.rawValue }
}

/// Builds a spec from the minimal one with `lines` in place of the lines that start alike.
func spec(replacing replacements: [String: String] = [:], appending extra: String = "") -> String {
    var text = minimalSpec
    for (old, new) in replacements {
        text = text.replacingOccurrences(of: old, with: new)
    }
    return text + extra
}

let diagnosticCases: [DiagnosticCase] = [
    .init(.yamlSyntax, "name: demo\ndescription: [unclosed\ninput»: x\n"),
    .init(.duplicateKey, spec(appending: "»name: again\n")),
    .init(.yamlTooComplex, spec(appending: "x-a: &a [1]\nx-b: {»*a : 2}\n")),
    .init(.documentNotMapping, "»- just\n- a list\n"),
    .init(.fileNameMismatch, spec(replacing: ["name: demo": "name: »other"])),
    .init(.complexKey, spec(appending: "»? x-complex\n: value\n")),
    .init(.unknownTopLevelKey, spec(appending: "»descriptoin: typo\n")),
    .init(.missingKey, spec(replacing: ["  - openai/gpt-4o-mini\n": "", "models:\n": ""]).replacingOccurrences(of: "name: demo", with: "»name: demo")),
    .init(.wrongValueKind, spec(replacing: ["description: A demo endpoint.": "description: »[a, list]"])),
    .init(.invalidName, spec(replacing: ["name: demo": "name: »Demo"])),
    .init(.invalidVersion, spec(appending: "version: »0\n")),
    .init(.malformedRoute, spec(appending: "route: »/v1/demo\n")),
    .init(.unsupportedMethod, spec(appending: "route: »GET /v1/demo\n")),
    .init(.invalidPathSegment, spec(appending: "route: POST /v1/»Demo\n")),
    .init(.reservedRoute, spec(appending: "route: »POST /metrics\n")),
    .init(.invalidLifecycleDate, spec(appending: "lifecycle:\n  deprecated: »2026-02-30\n")),
    .init(.sunsetBeforeDeprecation, spec(appending: "lifecycle:\n  deprecated: 2026-06-01\n  sunset: »2026-05-31\n")),
    .init(.unknownSuccessor, spec(appending: "lifecycle:\n  successor: »demo_v2\n")),
    .init(.emptyDescription, spec(replacing: ["description: A demo endpoint.": "description: »\"  \""])),
    .init(.unknownKey, spec(appending: "fallback:\n  »retry: 1\n")),
    .init(.unknownSchemaKeyword, spec(replacing: ["  text: string": "  text: { type: string, »minLenght: 1 }"])),
    .init(.unknownType, spec(replacing: ["  text: string": "  text: »strng"])),
    .init(.missingType, spec(replacing: ["  text: string": "  text: »{ description: no type }"])),
    .init(.keywordNotApplicable, spec(replacing: ["  text: string": "  text: { type: integer, »minLength: 1 }"])),
    .init(.invalidEnum, spec(replacing: ["  label: string": "  label: { type: string, enum: »[] }"])),
    .init(.invalidBound, spec(replacing: ["  text: string": "  text: { type: string, minLength: »-1 }"])),
    .init(.invalidPattern, spec(replacing: ["  text: string": "  text: { type: string, pattern: »\"[a-\" }"])),
    .init(.unknownFormat, spec(replacing: ["  text: string": "  text: { type: string, format: »emial }"])),
    .init(.invalidDefault, spec(replacing: ["  label: string": "  label: { type: string, enum: [a, b], default: »c }"])),
    .init(.invalidFieldName, spec(replacing: ["  label: string": "  label: string\n  »bad name: string"])),
    .init(.missingItemsOrProperties, spec(replacing: ["  label: string": "  label: { type: »array }"])),
    .init(.conflictingOptional, spec(replacing: ["  label: string": "  label?: { type: string, optional: »false }"])),
    .init(.emptySchema, spec(replacing: ["output:\n  label: string": "output: »{}"])),
    .init(.duplicateField, spec(replacing: ["  label: string": "  label: string\n  »label?: string"])),
    .init(.unknownTemplateVariable, spec(replacing: ["  user: \"{{text}}\"": "  user: |\n    Text: {{»txt}} {{text}}"])),
    .init(.templateSyntax, spec(replacing: ["  user: \"{{text}}\"": "  user: |\n    {{text}}\n    »{{#text}} never closed"])),
    .init(.unusedInputField, spec(replacing: ["  text: string": "  text: string\n  »unused: string"])),
    .init(.unsupportedTemplateTag, spec(replacing: ["  user: \"{{text}}\"": "  user: |\n    {{text}} »{{> partial}}"])),
    .init(.pathIntoScalar, spec(replacing: ["  user: \"{{text}}\"": "  user: \"{{text}} {{»text.length}}\""])),
    .init(.emptyModelChain, spec(replacing: ["models:\n  - openai/gpt-4o-mini": "models: »[]"])),
    .init(.malformedModelReference, spec(replacing: ["  - openai/gpt-4o-mini": "  - »gpt-4o-mini"])),
    .init(.unknownProvider, spec(replacing: ["  - openai/gpt-4o-mini": "  - »opnai/gpt-4o-mini"])),
    .init(.unknownPool, spec(replacing: ["  - openai/gpt-4o-mini": "  - »pool/fast"])),
    .init(.invalidRetries, spec(appending: "fallback:\n  retries: »-1\n")),
    .init(.repeatedModel, spec(replacing: ["  - openai/gpt-4o-mini": "  - openai/gpt-4o-mini\n  - model: »openai/gpt-4o-mini"])),
    .init(.invalidDuration, spec(appending: "fallback:\n  timeout: »10\n")),
    .init(.unknownParameter, spec(appending: "parameters:\n  »temprature: 0\n")),
    .init(.invalidParameterValue, spec(appending: "parameters:\n  temperature: »5\n")),
    .init(.unknownFailureClass, spec(appending: "fallback:\n  on: [timeout, »rate-limit]\n")),
    .init(.timeoutExceedsDeadline, spec(appending: "fallback:\n  timeout: »60s\n  deadline: 30s\n")),
    .init(.timeoutExceedsDeadline, spec(appending: "fallback:\n  first_token_timeout: »90s\n")),
    .init(.exampleInputInvalid, spec(appending: "examples:\n  - input: { text: »42 }\n    output: { label: ok }\n")),
    .init(.exampleOutputInvalid, spec(appending: "examples:\n  - input: { text: hi }\n    output: »{ }\n")),
    .init(.malformedExample, spec(appending: "examples:\n  - »input: { text: hi }\n")),
    .init(.malformedTest, spec(appending: "tests:\n  - name: a\n    input: { text: hi }\n    output: { label: x }\n  - name: »a\n    input: { text: ho }\n    output: { label: y }\n")),
    .init(.testInputInvalid, spec(appending: "tests:\n  - name: a\n    input: { text: »[1] }\n    output: { label: x }\n")),
    .init(.testOutputInvalid, spec(appending: "tests:\n  - name: a\n    input: { text: hi }\n    output: { »labl: x }\n")),
    .init(.invalidAssertion, spec(appending: "tests:\n  - name: a\n    input: { text: hi }\n    assert: [»\"label < 3\"]\n")),
    .init(.unknownAssertionField, spec(appending: "tests:\n  - name: a\n    input: { text: hi }\n    assert:\n      - »labl == x\n")),
    .init(.unknownConfigKey, minimalSpec, config: "providers: {}\n»provders: {}\n"),
    .init(.invalidProvider, minimalSpec, config: "providers:\n  local:\n    api: »openia\n    base_url: http://127.0.0.1:8000/v1\n"),
    .init(.invalidPool, minimalSpec, config: "pools:\n  fast:\n    strategy: »round-robin\n    members: [openai/gpt-4o-mini]\n"),
    .init(.invalidConfigValue, minimalSpec, config: "circuit_breaker:\n  failures: »0\n"),
    .init(.invalidConsumer, minimalSpec, config: "consumers:\n  - name: app\n    key_sha256: »abc123\n"),
    .init(.invalidModelGroup, minimalSpec, config: "model_groups:\n  chat:\n    models: [openai/gpt-4o-mini]\n    »fallbak: {}\n"),
]

/// Codes whose tests need several files or a folder on disk; each has its own test below.
let codesTestedElsewhere: Set<DiagnosticCode> = [
    .folderUnreadable, .fileUnreadable, .fileTooLarge, .invalidUTF8, .noSpecs, .duplicateName, .routeConflict, .typeNameCollision,
]

@Suite("Each diagnostic code, at its place")
struct DiagnosticCodeTests {
    @Test(arguments: diagnosticCases)
    func reportsCodeAtPosition(_ testCase: DiagnosticCase) {
        let spec = Marked(testCase.spec)
        let config = testCase.config.map(Marked.init)
        let expected = config ?? spec
        let compilation = compile(["demo.yaml": spec.text], config: config?.text)
        let file = config == nil ? "Prompts/demo.yaml" : "promptc.yaml"
        #expect(expected.line > 0, "the test's YAML marks no position")
        let matching = compilation.diagnostics.filter { $0.code == testCase.code }
        #expect(
            matching.contains { $0.location == SourceLocation(file: file, line: expected.line, column: expected.column) },
            "expected \(testCase.code.rawValue) at \(expected.line):\(expected.column), got:\n\(describe(compilation.diagnostics))")
        if testCase.code.severity == .error {
            #expect(compilation.routeTable == nil, "an error must stop the compile")
        } else {
            #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        }
    }

    @Test func everyCodeHasATest() {
        let covered = Set(diagnosticCases.map(\.code)).union(codesTestedElsewhere)
        let missing = DiagnosticCode.allCases.filter { !covered.contains($0) }
        #expect(missing.isEmpty, "codes without a test: \(missing.map(\.rawValue))")
    }

    @Test func minimalSpecCompilesClean() {
        let compilation = compile(["demo.yaml": minimalSpec])
        #expect(compilation.diagnostics.isEmpty, "\(describe(compilation.diagnostics))")
        #expect(compilation.routeTable?.endpoints.first?.path == "/v1/demo")
    }

    @Test func reportsEveryProblemInOneRun() {
        let broken = spec(replacing: [
            "  text: string": "  text: strng",
            "  - openai/gpt-4o-mini": "  - opnai/gpt-4o-mini",
        ], appending: "descriptoin: x\n")
        let codes = Set(compile(["demo.yaml": broken]).diagnostics.map(\.code))
        #expect(codes.isSuperset(of: [.unknownType, .unknownProvider, .unknownTopLevelKey]))
    }

    @Test func didYouMeanNamesTheClosestCandidate() {
        let compilation = compile(["demo.yaml": Marked(diagnosticCases.first { $0.code == .unknownTemplateVariable }?.spec ?? "").text])
        let message = compilation.diagnostics.first { $0.code == .unknownTemplateVariable }?.message ?? ""
        #expect(message.contains("did you mean 'text'?"), "\(message)")
    }

    @Test func providersFromConfigAreKnown() {
        let spec = minimalSpec.replacingOccurrences(of: "openai/gpt-4o-mini", with: "local/llama")
        #expect(compile(["demo.yaml": spec]).diagnostics.contains { $0.code == .unknownProvider })
        let config = "providers:\n  local:\n    api: openai\n    base_url: http://127.0.0.1:8000/v1\n"
        let compilation = compile(["demo.yaml": spec], config: config)
        #expect(compilation.diagnostics.isEmpty, "\(describe(compilation.diagnostics))")
    }

    @Test func poolsFromConfigAreKnown() {
        let spec = minimalSpec.replacingOccurrences(of: "openai/gpt-4o-mini", with: "pool/fast")
        let config = "pools:\n  fast:\n    strategy: round_robin\n    members: [openai/gpt-4o-mini, {model: anthropic/claude-3-5-haiku-latest, weight: 2}]\n"
        let compilation = compile(["demo.yaml": spec], config: config)
        #expect(compilation.diagnostics.isEmpty, "\(describe(compilation.diagnostics))")
    }
}

@Suite("Problems with files and across files")
struct FileDiagnosticTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("promptc-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func missingFolder() {
        let compilation = PromptCompiler.compile(directory: "/nonexistent/Prompts")
        #expect(compilation.diagnostics.map(\.code) == [.folderUnreadable])
        #expect(compilation.diagnostics.first?.location.file == "/nonexistent/Prompts")
    }

    @Test func emptyFolderWarns() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let compilation = PromptCompiler.compile(directory: folder.path)
        #expect(compilation.diagnostics.map(\.code) == [.noSpecs])
        #expect(compilation.routeTable?.endpoints.isEmpty == true)
    }

    @Test func unreadableFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("demo.yaml"), withIntermediateDirectories: true)
        let compilation = PromptCompiler.compile(directory: folder.path)
        #expect(compilation.diagnostics.map(\.code) == [.fileUnreadable])
    }

    @Test func fileOverOneMebibyte() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let big = minimalSpec + "x-padding: \"" + String(repeating: "a", count: 1 << 20) + "\"\n"
        try Data(big.utf8).write(to: folder.appendingPathComponent("demo.yaml"))
        let compilation = PromptCompiler.compile(directory: folder.path)
        #expect(compilation.diagnostics.map(\.code) == [.fileTooLarge])
    }

    @Test func invalidUTF8IsPlaced() {
        var bytes = Data("name: demo\ndescription: caf".utf8)
        bytes.append(contentsOf: [0xC3, 0x28])
        let compilation = PromptCompiler.compile(files: [(path: "Prompts/demo.yaml", contents: bytes)])
        let diagnostic = compilation.diagnostics.first
        #expect(diagnostic?.code == .invalidUTF8)
        #expect(diagnostic?.location.line == 2)
        #expect(diagnostic?.location.column == 17)
    }

    @Test func duplicateNamesNameBothFiles() {
        let compilation = compile(["demo.yaml": minimalSpec, "demo.yml": minimalSpec])
        let diagnostic = compilation.diagnostics.first { $0.code == .duplicateName }
        #expect(diagnostic?.location.file == "Prompts/demo.yml")
        #expect(diagnostic?.message.contains("Prompts/demo.yaml") == true)
        #expect(diagnostic?.related.first?.file == "Prompts/demo.yaml")
    }

    @Test func routeConflictNamesBothFiles() {
        let other = minimalSpec.replacingOccurrences(of: "name: demo", with: "name: other") + "route: POST /v1/demo\n"
        let compilation = compile(["demo.yaml": minimalSpec, "other.yaml": other])
        let diagnostic = compilation.diagnostics.first { $0.code == .routeConflict }
        #expect(diagnostic?.location == SourceLocation(file: "Prompts/other.yaml", line: 11, column: 8))
        #expect(diagnostic?.message.contains("Prompts/demo.yaml") == true)
    }

    @Test func swiftTypeNameCollision() {
        let first = minimalSpec.replacingOccurrences(of: "name: demo", with: "name: a-b") + "route: POST /v1/one\n"
        let second = minimalSpec.replacingOccurrences(of: "name: demo", with: "name: a_b") + "route: POST /v1/two\n"
        let compilation = compile(["a-b.yaml": first, "a_b.yaml": second])
        let diagnostic = compilation.diagnostics.first { $0.code == .typeNameCollision }
        #expect(diagnostic?.location.file == "Prompts/a_b.yaml")
        #expect(diagnostic?.message.contains("Prompts/a-b.yaml") == true)
    }

    @Test func aliasBombsEndQuicklyAsDiagnostics() {
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = Character(UnicodeScalar(UInt8(96 + level)))
            let name = Character(UnicodeScalar(UInt8(97 + level)))
            bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        let started = Date()
        let values = compile(["demo.yaml": bomb])
        let keys = compile(["demo.yaml": "a: &a [x, x]\nb: &b [*a, *a]\nc: {*b : 1}\n"])
        let deep = compile(["demo.yaml": "x: " + String(repeating: "[", count: 100_000)])
        #expect(Date().timeIntervalSince(started) < 5, "generous bound; the real figure is milliseconds")
        #expect(values.diagnostics.map(\.code) == [.yamlTooComplex])
        #expect(keys.diagnostics.map(\.code) == [.yamlTooComplex])
        #expect(deep.diagnostics.map(\.code) == [.yamlTooComplex])
    }

    @Test func textRenderingQuotesTheLineWithACaret() {
        let marked = Marked(diagnosticCases.first { $0.code == .unknownTemplateVariable }?.spec ?? "")
        let compilation = compile(["demo.yaml": marked.text])
        let text = DiagnosticRenderer.text(compilation.diagnostics, sources: compilation.sources)
        let expected = """
            Prompts/demo.yaml:11:13: error[E0301]: template uses 'txt', which is not an input field (did you mean 'text'?)
               11 |     Text: {{txt}} {{text}}
                  |           ^^^^^^^
                  = help: fields in scope: text

            1 error, 0 warnings

            """
        #expect(text == expected)
    }

    @Test func jsonDiagnosticsCarryEveryField() throws {
        let compilation = compile(["demo.yaml": Marked(diagnosticCases.first { $0.code == .unknownType }?.spec ?? "").text])
        let data = Data(DiagnosticJSON.render(compilation.diagnostics).utf8)
        let objects = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let first = try #require(objects.first)
        #expect(first["file"] as? String == "Prompts/demo.yaml")
        #expect(first["line"] as? Int == 4)
        #expect(first["column"] as? Int == 9)
        #expect(first["severity"] as? String == "error")
        #expect(first["code"] as? String == "E0202")
        #expect((first["message"] as? String)?.contains("did you mean 'string'?") == true)
        #expect(first["hint"] is String)
    }
}
