import Foundation
import SpecFrontEnd
import Testing

@Suite("Spec front end")
struct SpecFileLoaderTests {
    func load(_ text: String) -> (SpecNode?, [Diagnostic]) {
        var diagnostics = DiagnosticCollector()
        let loaded = SpecFileLoader.parse(data: Data(text.utf8), path: "x.yaml", into: &diagnostics)
        return (loaded.root, diagnostics.diagnostics)
    }

    @Test func keepsPositionsOfKeysAndValues() throws {
        let (root, diagnostics) = load("name: demo\ninput:\n  text:  string\n")
        #expect(diagnostics.isEmpty)
        let text = try #require(root?["input"]?.entry("text"))
        #expect(text.keySpan.start == SourceLocation(file: "x.yaml", line: 3, column: 3))
        #expect(text.value.span.start == SourceLocation(file: "x.yaml", line: 3, column: 10))
        #expect(text.value.span.length == 6)
    }

    /// YAML 1.2 core schema: yes/no/on/off stay strings (the Norway problem).
    @Test func resolvesScalarsByYAML12() throws {
        let (root, _) = load("a: [yes, no, on, off, NO]\nb: [true, 1, -2, 0x1F, 1.5, 1e3, ~, null, '1', 1:30]\n")
        let a = try #require(root?["a"]?.items)
        #expect(a.allSatisfy { $0.scalar?.kind == .string })
        let b = try #require(root?["b"]?.items).map { $0.scalar?.kind }
        #expect(b == [.bool(true), .integer(1), .integer(-2), .integer(31), .float(1.5), .float(1000), .null, .null, .string, .string])
    }

    @Test func duplicateKeyPointsAtTheSecond() {
        let (_, diagnostics) = load("name: a\ninput:\n  text: string\n  text: integer\n")
        #expect(diagnostics.map(\.code) == [.duplicateKey])
        #expect(diagnostics.first?.location.line == 4)
        #expect(diagnostics.first?.location.column == 3)
        #expect(diagnostics.first?.related.first?.line == 3)
    }

    /// Found by fuzzing: libyaml put an error at the end of a file without a final newline one
    /// line past the end.
    @Test func anErrorAtTheEndOfAFileIsInsideIt() {
        let (_, diagnostics) = load("-\n b\n-a ")
        #expect(diagnostics.map(\.code) == [.yamlSyntax])
        #expect(diagnostics.first?.location == SourceLocation(file: "x.yaml", line: 3, column: 4))
    }

    /// Found by fuzzing: lines are counted as libyaml counts them, so a lone CR (old Mac line
    /// ends) starts a line too.
    @Test func linesBreakWhereYAMLBreaksThem() {
        #expect(SourceFile(path: "x", text: "a\r\nb\rc\nd\u{85}e\u{2028}f").lines == ["a", "b", "c", "d", "e", "f"])
        let (root, _) = load("\rUoo")
        #expect(root?.span.start == SourceLocation(file: "x.yaml", line: 2, column: 1))
    }

    @Test func emptyFileAndByteOrderMark() {
        #expect(load("").1.map(\.code) == [.documentNotMapping])
        #expect(load("# only a comment\n").1.map(\.code) == [.documentNotMapping])
        #expect(load("\u{FEFF}name: demo\n").1.isEmpty)
    }

    @Test func didYouMean() {
        #expect(Suggestion.closest(to: "lenght", in: ["length", "pattern"]) == "length")
        #expect(Suggestion.closest(to: "Text", in: ["text"]) == "text")
        #expect(Suggestion.closest(to: "zzz", in: ["text"]) == nil)
    }

    /// The structure guard reads bytes; brackets in comments and quotes are not nesting,
    /// and its positions count Unicode scalars like every other diagnostic.
    @Test func structureGuardSkipsCommentsAndQuotesAndCountsScalars() {
        let brackets = String(repeating: "[", count: 200)
        #expect(load("name: demo # \(brackets)\n").1.isEmpty)
        #expect(load("name: 'demo \(brackets)'\n").1.isEmpty)
        let deep = "a: \"é\" " + brackets + "\n"
        let diagnostics = load(deep).1
        #expect(diagnostics.map(\.code) == [.yamlTooComplex])
        #expect(diagnostics.first?.location.column == 8 + SpecFileLoader.maximumDepth)
    }
}
