/// One case of `promptc test` (spec-format.md, Tests): a spec's example or one of its `tests`.
public struct SpecTestCase: Sendable, Hashable {
    public var name: String
    public var input: JSONValue
    /// The fields the answer must have; fields not named are not compared. For an example,
    /// its whole output.
    public var expected: JSONValue?
    public var assertions: [Assertion]
    /// How far a number may be from the expected one (default 0.1).
    public var tolerance: Double

    public static let defaultTolerance = 0.1

    public init(name: String, input: JSONValue, expected: JSONValue?, assertions: [Assertion] = [], tolerance: Double = Self.defaultTolerance) {
        self.name = name
        self.input = input
        self.expected = expected
        self.assertions = assertions
        self.tolerance = tolerance
    }

    /// What is wrong with `answer` for this case: nothing when it passes.
    public func failures(of answer: JSONValue) -> [String] {
        var failures: [String] = []
        if let expected { Self.compare(expected, answer, at: "", tolerance: tolerance, into: &failures) }
        for assertion in assertions {
            if let failure = assertion.failure(on: answer) { failures.append(failure) }
        }
        return failures
    }

    /// Strings, enums, integers and booleans exactly; numbers within `tolerance`; objects by the
    /// members `expected` names; arrays item by item.
    static func compare(_ expected: JSONValue, _ actual: JSONValue?, at path: String, tolerance: Double, into failures: inout [String]) {
        let place = path.isEmpty ? "the answer" : path
        switch (expected, actual) {
        case (.object(let members), .object(let actualMembers)?):
            for name in members.keys.sorted() {
                guard let value = members[name] else { continue }
                compare(value, actualMembers[name], at: path.isEmpty ? name : path + "." + name, tolerance: tolerance, into: &failures)
            }
        case (.array(let items), .array(let actualItems)?):
            guard items.count == actualItems.count else {
                failures.append("\(place): expected \(items.count) items, got \(actualItems.count)")
                return
            }
            for (index, item) in items.enumerated() {
                compare(item, actualItems[index], at: path + "." + String(index), tolerance: tolerance, into: &failures)
            }
        case (.number, _), (.integer, .number?):
            guard let want = expected.doubleValue, let got = actual?.doubleValue else { fallthrough }
            if abs(want - got) > tolerance + 1e-9 {
                failures.append("\(place): expected \(render(expected)) (±\(render(.number(tolerance)))), got \(render(actual))")
            }
        default:
            if expected != actual { failures.append("\(place): expected \(render(expected)), got \(render(actual))") }
        }
    }

    static func render(_ value: JSONValue?) -> String {
        value.map { CanonicalJSON.render($0, pretty: false) } ?? "nothing"
    }
}
