import EndpointModel
import Foundation
import PromptCompiler
import Testing

/// A spec with Unicode in field names, descriptions, enum values and templates, Swift
/// keywords as names, and every shorthand form.
let unicodeSpec = """
    name: etiquetas
    description: Étiquette un texte — 日本語のテキストにも対応。
    input:
      größe: { type: integer, minimum: 1, description: Die Größe 📏 }
      texte: { type: string, minLength: 2, description: "Le texte à étiqueter" }
      langue?: string
      class: { type: string, enum: [première, "deuxième classe", "3e", default], default: première }
      tags?:
        type: array
        items: string
    output:
      étiquette:
        type: string
        enum: [positif, négatif, "😀"]
      type: { type: integer, enum: [1, 2, -3] }
      self?: boolean
      détails:
        type: object
        optional: true
        properties:
          note: number
          Type?: string
    models: [openai/gpt-4o-mini]
    prompt:
      system: "Réponds en JSON. 答えはJSONで。"
      user: |
        Taille : {{größe}} — {{#langue}}langue {{langue}}{{/langue}}{{^langue}}langue inconnue{{/langue}}
        Classe : {{class}}
        {{#tags}}- {{.}}
        {{/tags}}
        {{texte}}
    examples:
      - input: { größe: 3, texte: "Ça marche très bien 👍", tags: [a, b] }
        output: { étiquette: "😀", type: -3, détails: { note: 0.5 } }

    """

@Suite("Unicode and shorthand")
struct UnicodeAndShorthandTests {
    func compiled() throws -> EndpointDefinition {
        let compilation = compile(["etiquetas.yaml": unicodeSpec])
        #expect(compilation.diagnostics.isEmpty, "\(describe(compilation.diagnostics))")
        return try #require(compilation.routeTable?.endpoints.first)
    }

    @Test func shorthandFormsMeanTheLongForms() throws {
        let endpoint = try compiled()
        let langue = try #require(endpoint.input.property(named: "langue"))
        #expect(langue.schema.type == .string && langue.isOptional && !langue.isRequired)
        let tags = try #require(endpoint.input.property(named: "tags"))
        #expect(tags.schema.items?.type == .string)
        let klass = try #require(endpoint.input.property(named: "class"))
        #expect(!klass.isRequired && klass.schema.defaultValue == "première")
        #expect(endpoint.input.properties.map(\.name) == ["größe", "texte", "langue", "class", "tags"])
        #expect(endpoint.input.jsonSchema["required"] == ["größe", "texte"])
        #expect(endpoint.route == "POST /v1/etiquetas")
    }

    @Test func unicodeLengthsCountScalars() throws {
        let endpoint = try compiled()
        let validator = SchemaValidator(endpoint.input)
        #expect(validator.validate(["größe": 1, "texte": "👍👍"]).isEmpty)
        #expect(validator.validate(["größe": 1, "texte": "👍"]) == [Violation(path: "/texte", message: "must be at least 2 characters long")])
    }

    @Test func unicodeTemplatesRender() throws {
        let endpoint = try compiled()
        let template = try PromptTemplate(endpoint.prompt.user)
        let rendered = template.render(["größe": 3, "texte": "{{texte}} <b>", "class": "première", "tags": ["a", "b"]])
        #expect(rendered == "Taille : 3 — langue inconnue\nClasse : première\n- a\n- b\n{{texte}} <b>\n")
    }

    @Test func unicodeTemplateVariablesArePlaced() {
        let broken = unicodeSpec.replacingOccurrences(of: "{{texte}}\n", with: "{{grösse}} {{texte}}\n")
        let diagnostic = compile(["etiquetas.yaml": broken]).diagnostics.first { $0.code == .unknownTemplateVariable }
        #expect(diagnostic?.location.line == 31)
        #expect(diagnostic?.location.column == 7)
        #expect(diagnostic?.message.contains("did you mean 'größe'?") == true)
    }

    /// The Swift written for this spec compiles: names with accents, emoji enum values,
    /// keywords (`class`, `self`, `Type`, `default`) and numeric enums.
    @Test func generatedSwiftTypeChecks() throws {
        let table = try #require(compile(["etiquetas.yaml": unicodeSpec]).routeTable)
        let swift = try #require(ArtifactRenderer.render(table).first { $0.fileName == "Endpoints.swift" }).contents
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("promptc-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("Endpoints.swift")
        try Data(swift.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swiftc", "-typecheck", "-swift-version", "6", file.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)\n\(swift)")
        #expect(swift.contains("case première = \"première\""))
        #expect(swift.contains("public var `class`: Class?"))
    }
}

extension EndpointDefinition {
    var route: String { "\(method) \(path)" }
}
