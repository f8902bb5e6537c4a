import EndpointModel
import Foundation

/// Turns a model's text into the endpoint's output: JSON (a Markdown code fence around it is
/// tolerated), checked against the full output schema. Anything else is `invalid_output`.
enum AnswerParser {
    static func output(from text: String, validator: SchemaValidator) throws(AttemptFailure) -> JSONValue {
        let json = stripCodeFence(text)
        guard let value = try? JSONParser.parse(json.utf8) else {
            throw AttemptFailure(.invalidOutput, "the model's answer is not JSON")
        }
        let violations = validator.validate(value)
        if let first = violations.first {
            throw AttemptFailure(
                .invalidOutput,
                "the model's answer breaks the output schema at \(first.path.isEmpty ? "/" : first.path): \(first.message)"
                    + (violations.count > 1 ? " (and \(violations.count - 1) more)" : ""))
        }
        return value
    }

    /// The text inside a ```json … ``` (or bare ```) fence, else the text itself, trimmed.
    static func stripCodeFence(_ text: String) -> Substring {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("```"), trimmed.hasSuffix("```"), trimmed.count >= 6 else { return Substring(trimmed) }
        var inner = trimmed.dropFirst(3).dropLast(3)
        // The info string (`json`) runs to the end of the fence's first line.
        if let newline = inner.firstIndex(of: "\n") {
            let info = inner[..<newline].trimmingCharacters(in: .whitespaces)
            if info.allSatisfy({ $0.isLetter }) { inner = inner[inner.index(after: newline)...] }
        }
        return Substring(inner.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
