import EndpointModel
import SpecFrontEnd

/// A spec's `tests` (spec-format.md, Tests), checked like examples: each input against the
/// input schema, each expected output field against its own schema (fields not named are not
/// compared), each `assert` against the output schema. Examples become cases too.
extension SpecChecker {
    static let testKeys = ["name", "input", "output", "assert", "tolerance"]

    mutating func checkTests(_ root: SpecNode, input: FieldSchema, output: FieldSchema, examples: [EndpointDefinition.Example]) -> [SpecTestCase] {
        var cases = examples.enumerated().map { index, example in
            SpecTestCase(name: "example \(index + 1)", input: example.input, expected: example.output)
        }
        guard let node = root["tests"], let items = reader.items(node, "'tests'") else { return cases }
        let inputValidator = SchemaValidator(input)
        // Expected outputs name only the fields they compare.
        var partialOutput = output
        for index in partialOutput.properties.indices { partialOutput.properties[index].isOptional = true }
        let outputValidator = SchemaValidator(partialOutput)
        let assertions = AssertionChecker(output: output)
        var names: Set<String> = []
        for (index, item) in items.enumerated() {
            guard let entries = reader.entries(item, "a test") else { continue }
            reader.checkKeys(entries, allowed: Self.testKeys, code: .unknownKey, in: "a test")
            let errorsBefore = reader.diagnostics.errorCount
            var name = "test \(index + 1)"
            if let nameNode = reader.requireKey("name", in: item, of: "test \(index + 1)", hint: "name each test, e.g. 'name: sarcasm is negative'"),
               let text = reader.string(nameNode, "a test's 'name'") {
                if !names.insert(text).inserted {
                    reader.diagnostics.emit(.malformedTest, "two tests are named '\(text)'", at: nameNode.span, hint: "test names are unique within a spec")
                }
                name = text
            }
            let inputValue = item["input"].flatMap { validated($0, by: inputValidator, code: .testInputInvalid, what: "test '\(name)' input") }
            if item["input"] == nil {
                reader.diagnostics.emit(.malformedTest, "test '\(name)' has no 'input'", at: item.span, hint: "each test is '{name, input: {...}, output?: {...}, assert?: [...]}'")
            }
            let expected = item["output"].flatMap { expectedOutput($0, of: output, validator: outputValidator, test: name) }
            var checked: [Assertion] = []
            if let assertNode = item["assert"], let assertItems = reader.items(assertNode, "a test's 'assert'") {
                for assertItem in assertItems {
                    guard let text = reader.string(assertItem, "an assert") else { continue }
                    switch assertions.check(text) {
                    case .success(let assertion): checked.append(assertion)
                    case .failure(let problem): reader.diagnostics.emit(problem.code, problem.message, at: assertItem.span, hint: problem.hint)
                    }
                }
            }
            var tolerance = SpecTestCase.defaultTolerance
            if let toleranceNode = item["tolerance"] {
                if let value = reader.json(toleranceNode)?.doubleValue, value >= 0 {
                    tolerance = value
                } else {
                    reader.diagnostics.emit(.malformedTest, "test '\(name)' 'tolerance' must be a number of 0 or more", at: toleranceNode.span)
                }
            }
            if expected == nil, checked.isEmpty, item["output"] == nil, item["assert"] == nil {
                reader.diagnostics.emit(.malformedTest, "test '\(name)' checks nothing: give it an 'output' or an 'assert'", at: item.span)
            }
            guard reader.diagnostics.errorCount == errorsBefore, let inputValue else { continue }
            cases.append(SpecTestCase(name: name, input: inputValue, expected: expected, assertions: checked, tolerance: tolerance))
        }
        return cases
    }

    /// The expected fields, each an output field (with a did-you-mean when not) of the right shape.
    private mutating func expectedOutput(_ node: SpecNode, of output: FieldSchema, validator: SchemaValidator, test name: String) -> JSONValue? {
        let known = output.properties.map(\.name)
        var unknown = false
        for entry in node.entries ?? [] where !known.contains(entry.key) {
            reader.diagnostics.emit(
                .testOutputInvalid, "test '\(name)' output names '\(entry.key)', which is not an output field\(Suggestion.didYouMean(entry.key, in: known))",
                at: entry.keySpan)
            unknown = true
        }
        guard !unknown else { return nil }
        return validated(node, by: validator, code: .testOutputInvalid, what: "test '\(name)' output")
    }

    private mutating func validated(_ node: SpecNode, by validator: SchemaValidator, code: DiagnosticCode, what: String) -> JSONValue? {
        guard let value = reader.json(node) else { return nil }
        let violations = validator.validate(value)
        for violation in violations {
            let place = violation.path.isEmpty ? "" : " at \(violation.path)"
            reader.diagnostics.emit(code, "\(what)\(place) \(violation.message)", at: node.node(at: violation.path).span)
        }
        return violations.isEmpty ? value : nil
    }
}
