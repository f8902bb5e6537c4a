import EndpointModel
import PromptCompiler
import SpecFrontEnd
import Testing

/// Rough edges a new user met in the first hour (issue 13), in the compiler.
@Suite("First hour: the compiler")
struct FirstHourCompilerTests {
    @Test func aMockFailureClassMustBeKnown() {
        let errors = compile(["demo.yaml": spec(replacing: ["  - openai/gpt-4o-mini": "  - mock/fail-server_eror\n  - openai/gpt-4o-mini"])])
            .diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(describe(errors))")
        #expect(errors.first?.code == .unknownFailureClass)
        #expect(errors.first?.message.contains("did you mean 'server_error'") == true, "\(errors.first?.message ?? "")")
        let known = compile(["demo.yaml": spec(replacing: ["  - openai/gpt-4o-mini": "  - mock/fail-rate_limit\n  - openai/gpt-4o-mini"])])
        #expect(known.errorCount == 0, "\(describe(known.diagnostics))")
    }
}

/// No cascades: one mistake, one diagnostic (issue 13).
@Suite("First hour: one mistake, one diagnostic")
struct NoCascadeTests {
    /// An unknown type does not also make its field "not an input field", nor a section over it.
    @Test func anUnknownTypeIsOneError() {
        let broken = spec(
            replacing: ["  text: string": "  text: strng\n  terms:\n    type: array\n    items: { type: object, properties: { term: { type: strng } } }"],
        ).replacingOccurrences(of: "  user: \"{{text}}\"", with: "  user: \"{{text}} {{#terms}}{{term}}{{/terms}}\"")
        let errors = compile(["demo.yaml": broken]).diagnostics
        #expect(errors.map(\.code) == [.unknownType, .unknownType], "\(describe(errors))")
    }

    /// A bad duration is one error: no warning about a default timeout the user never wrote.
    @Test func aBadDurationIsOneError() {
        let broken = spec(appending: "fallback:\n  timeout: 5q\n  deadline: 10s\n")
        let diagnostics = compile(["demo.yaml": broken]).diagnostics
        #expect(diagnostics.map(\.code) == [.invalidDuration], "\(describe(diagnostics))")
        let stepBroken = spec(replacing: ["  - openai/gpt-4o-mini": "  - { model: openai/gpt-4o-mini, timeout: 90s }"], appending: "fallback:\n  deadline: 6O s\n")
        #expect(compile(["demo.yaml": stepBroken]).diagnostics.map(\.code) == [.invalidDuration], "\(describe(compile(["demo.yaml": stepBroken]).diagnostics))")
    }

    /// A YAML syntax error says what to do, and names no other line in its message.
    @Test func aYAMLSyntaxErrorSaysWhatToDo() throws {
        let diagnostics = compile(["demo.yaml": spec(replacing: ["description: A demo endpoint.": "description: Note: it breaks"])]).diagnostics
        let error = try #require(diagnostics.first)
        #expect(diagnostics.count == 1)
        #expect(error.code == .yamlSyntax && error.location.line == 2)
        #expect(!error.message.contains("(line"), "\(error.message)")
        #expect(error.hint?.contains("put the value in quotes") == true, "\(error.hint ?? "")")
    }
}
