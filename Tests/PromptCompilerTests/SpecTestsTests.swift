import EndpointModel
import Foundation
import PromptCompiler
import SpecFrontEnd
import Testing

/// `tests` in specs and their assertion language (spec-format.md, Tests): parsed and checked at
/// compile time, then judged against answers.
@Suite("Spec tests and assertions")
struct SpecTestsTests {
    static let output = """
        output:
          label: { type: string, enum: [positive, negative, neutral] }
          score: { type: number, minimum: -1, maximum: 1 }
          tags: { type: array, items: { type: object, properties: { name: string } } }
          note?: string

        """

    static func spec(tests: String) -> String {
        minimalSpec.replacingOccurrences(of: "output:\n  label: string\n", with: output) + "tests:\n" + tests
    }

    static func cases(_ asserts: [String]) throws -> [SpecTestCase] {
        let list = asserts.map { "      - \"\($0)\"\n" }.joined()
        let compilation = compile(["demo.yaml": spec(tests: "  - name: t\n    input: { text: hi }\n    assert:\n" + list)])
        #expect(compilation.errorCount == 0, "\(describe(compilation.diagnostics))")
        return compilation.tests["demo"] ?? []
    }

    static func errors(_ assertion: String) -> [Diagnostic] {
        compile(["demo.yaml": spec(tests: "  - name: t\n    input: { text: hi }\n    assert: [\"\(assertion)\"]\n")])
            .diagnostics.filter { $0.severity == .error }
    }

    @Test func everyOperatorParses() throws {
        let asserts = [
            "score <= 0", "score>-1", "label == negative", "label != positive", "label in [negative, neutral]",
            "len(tags) >= 1", "tags.0.name == x", "note contains sorry", "note matches '^[A-Z]'", "len(note) < 100",
        ]
        let parsed = try #require(try Self.cases(asserts).first).assertions
        #expect(parsed.map(\.op) == [.lessOrEqual, .greater, .equal, .notEqual, .in, .greaterOrEqual, .equal, .contains, .matches, .less])
        #expect(parsed[1].value == .integer(-1))
        #expect(parsed[4].value == .array(["negative", "neutral"]))
        #expect(parsed[5].length && parsed[5].path == ["tags"])
        #expect(parsed[6].path == ["tags", "0", "name"])
        #expect(parsed[8].value == "^[A-Z]")
    }

    /// A mistyped field or enum value gets a did-you-mean; a wrong operator or value is named.
    @Test func mistakesAreOneDiagnosticEach() {
        let cases: [(String, DiagnosticCode, String)] = [
            ("scroe <= 0", .unknownAssertionField, "which is not a field of the output (did you mean 'score'?)"),
            ("tags.0.nmae == x", .unknownAssertionField, "not a field of 'tags.0' (did you mean 'name'?)"),
            ("label == postive", .invalidAssertion, "is not one of 'label''s values (did you mean 'positive'?)"),
            ("label in [positive, nuetral]", .invalidAssertion, "(did you mean 'neutral'?)"),
            ("label < 3", .invalidAssertion, "'<' compares numbers, and 'label' is a string"),
            ("score <= high", .invalidAssertion, "needs a number"),
            ("score =< 0", .invalidAssertion, "has no operator"),
            ("score in 0", .invalidAssertion, "needs a list"),
            ("len(score) > 1", .invalidAssertion, "len() takes a string or a list"),
            ("note matches '('", .invalidAssertion, "is not a regular expression"),
            ("score.x == 1", .invalidAssertion, "'score' is a number and has no 'x'"),
            ("score ==", .invalidAssertion, "has no value"),
            ("label == positive\\nscore: 1", .invalidAssertion, "an assert is one line, and this one has 2"),
        ]
        for (assertion, code, message) in cases {
            let errors = Self.errors(assertion)
            #expect(errors.count == 1, "\(assertion): \(describe(errors))")
            #expect(errors.first?.code == code, "\(assertion): \(describe(errors))")
            #expect(errors.first?.message.contains(message) == true, "\(assertion): \(describe(errors))")
        }
    }

    /// Examples are cases too, and test inputs and outputs are checked against the schemas.
    @Test func examplesComeFirstAndTestValuesAreChecked() throws {
        let good = Self.spec(tests: "  - name: sarcasm\n    input: { text: \"Oh great.\" }\n    output: { label: negative }\n    tolerance: 0.2\n")
            + "examples:\n  - input: { text: hi }\n    output: { label: positive, score: 0.5, tags: [] }\n"
        let compilation = compile(["demo.yaml": good])
        let cases = try #require(compilation.tests["demo"])
        #expect(cases.map(\.name) == ["example 1", "sarcasm"])
        #expect(cases[1].expected == ["label": "negative"])
        #expect(cases[1].tolerance == 0.2)

        let badValue = compile(["demo.yaml": Self.spec(tests: "  - name: t\n    input: { text: hi }\n    output: { score: 2 }\n")])
        #expect(badValue.diagnostics.map(\.code) == [.testOutputInvalid])
        let nothing = compile(["demo.yaml": Self.spec(tests: "  - name: t\n    input: { text: hi }\n")])
        #expect(nothing.diagnostics.map(\.code) == [.malformedTest])
        let misspelt = compile(["demo.yaml": Self.spec(tests: "  - name: t\n    input: { text: hi }\n    output: { labl: positive }\n")])
        #expect(misspelt.diagnostics.first?.message.contains("did you mean 'label'?") == true)
    }

    /// Expected fields: exact for strings, enums, integers and booleans; numbers within the tolerance.
    @Test func answersAreJudged() {
        let sarcasm = SpecTestCase(
            name: "t", input: [:], expected: ["label": "negative", "score": -0.5],
            assertions: [Assertion(text: "score <= 0", path: ["score"], length: false, op: .lessOrEqual, value: 0)])
        #expect(sarcasm.failures(of: ["label": "negative", "score": -0.45, "note": "x"]).isEmpty)
        #expect(sarcasm.failures(of: ["label": "positive", "score": 0.7]) == [
            #"label: expected "negative", got "positive""#, "score: expected -0.5 (±0.1), got 0.7", #"assert "score <= 0": score is 0.7"#,
        ])
        #expect(sarcasm.failures(of: ["label": "negative"]) == ["score: expected -0.5, got nothing", #"assert "score <= 0": score is missing"#])
        let exact = SpecTestCase(name: "t", input: [:], expected: ["count": 3, "ok": true, "items": ["a"]])
        #expect(exact.failures(of: ["count": 3, "ok": true, "items": ["a"]]).isEmpty)
        #expect(exact.failures(of: ["count": 4, "ok": true, "items": ["a", "b"]]).count == 2)
    }

    @Test func assertionsHoldOrSayWhatWasFound() {
        func holds(_ op: Assertion.Operator, _ path: [String], _ value: JSONValue, length: Bool = false, on answer: JSONValue) -> Bool {
            Assertion(text: "x", path: path, length: length, op: op, value: value).failure(on: answer) == nil
        }
        let answer: JSONValue = ["label": "neutral", "score": 0, "note": "Sorry, no.", "tags": [["name": "a"], ["name": "b"]]]
        #expect(holds(.in, ["label"], ["negative", "neutral"], on: answer))
        #expect(!holds(.in, ["label"], ["negative"], on: answer))
        #expect(holds(.equal, ["score"], .number(0.0), on: answer))
        #expect(holds(.contains, ["note"], "Sorry", on: answer))
        #expect(!holds(.contains, ["note"], "sorry", on: answer))
        #expect(holds(.matches, ["note"], "^S.*\\.$", on: answer))
        #expect(holds(.equal, ["tags"], 2, length: true, on: answer))
        #expect(holds(.equal, ["tags", "1", "name"], "b", on: answer))
        #expect(!holds(.equal, ["tags", "2", "name"], "b", on: answer))
        #expect(holds(.contains, ["tags"], ["name": "a"], on: answer))
        #expect(holds(.notEqual, ["label"], "positive", on: answer))
        #expect(!holds(.greater, ["score"], 0, on: answer))
    }
}
