import EndpointModel
import PromptCompiler
import SpecFrontEnd
import Testing

/// `portal:` and `cors:` in promptc.yaml (gateway-contract.md, The portal).
@Suite("Portal configuration")
struct PortalConfigTests {
    @Test func portalAndCORSAreRead() {
        let compilation = compile(["demo.yaml": minimalSpec], config: "portal: false\ncors: { origins: [https://app.example.com, \"http://localhost:3000\"] }\n")
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        #expect(compilation.settings.portal == false)
        #expect(compilation.settings.corsOrigins == ["https://app.example.com", "http://localhost:3000"])
        let defaults = compile(["demo.yaml": minimalSpec], config: "port: 9000\n")
        #expect(defaults.settings.portal && defaults.settings.corsOrigins.isEmpty)
    }

    @Test(arguments: [
        ("cors: { origins: [https://app.example.com/path] }\n", DiagnosticCode.invalidConfigValue, "is not an origin"),
        ("cors: { origins: [app.example.com] }\n", .invalidConfigValue, "is not an origin"),
        ("cors: { origins: [\"ftp://files.example.com\"] }\n", .invalidConfigValue, "is not an origin"),
        ("cors: { orgins: [https://app.example.com] }\n", .unknownConfigKey, "did you mean 'origins'"),
        ("portal: maybe\n", .wrongValueKind, "true or false"),
        ("portall: false\n", .unknownConfigKey, "did you mean 'portal'"),
    ])
    func mistakesAreOneDiagnosticEach(config: String, code: DiagnosticCode, says: String) {
        let errors = compile(["demo.yaml": minimalSpec], config: config).diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1, "\(describe(errors))")
        #expect(errors.first?.code == code)
        #expect(errors.first?.message.contains(says) == true, "\(errors.first?.message ?? "")")
    }
}
