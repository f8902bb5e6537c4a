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
