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
        // Nearly every answer is a bare JSON object, which the parser takes with its whitespace:
        // only other texts pay for Foundation's Unicode-aware trimming.
        if let first = text.utf8.first(where: { !Self.isJSONWhitespace($0) }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            return Substring(text)
        }
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

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
