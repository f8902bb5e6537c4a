/// Writes JSON in one canonical form: keys sorted by their UTF-8 bytes, two-space indentation,
/// `/` unescaped, integral numbers without a fraction. The artifacts in Generated/ are
/// committed and checked for drift, so their bytes must not depend on dictionary order or on
/// how a Foundation release formats numbers; hence this writer instead of JSONEncoder.
public enum CanonicalJSON {
    public static func render(_ value: JSONValue, pretty: Bool = true) -> String {
        var output = ""
        output.reserveCapacity(1024)
        write(value, into: &output, indent: pretty ? 0 : nil)
        if pretty { output.append("\n") }
        return output
    }

    private static func write(_ value: JSONValue, into output: inout String, indent: Int?) {
        switch value {
        case .null: output.append("null")
        case .bool(let value): output.append(value ? "true" : "false")
        case .integer(let value): output.append(String(value))
        case .number(let value): output.append(format(value))
        case .string(let value): writeString(value, into: &output)
        case .array(let items):
            guard !items.isEmpty else { output.append("[]"); return }
            output.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { output.append(",") }
                newline(into: &output, indent: indent.map { $0 + 1 })
                write(item, into: &output, indent: indent.map { $0 + 1 })
            }
            newline(into: &output, indent: indent)
            output.append("]")
        case .object(let members):
            guard !members.isEmpty else { output.append("{}"); return }
            output.append("{")
            for (index, key) in members.keys.sorted(by: utf8Order).enumerated() {
                if index > 0 { output.append(",") }
                newline(into: &output, indent: indent.map { $0 + 1 })
                writeString(key, into: &output)
                output.append(indent == nil ? ":" : ": ")
                write(members[key] ?? .null, into: &output, indent: indent.map { $0 + 1 })
            }
            newline(into: &output, indent: indent)
            output.append("}")
        }
    }

    private static func utf8Order(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private static func newline(into output: inout String, indent: Int?) {
        guard let indent else { return }
        output.append("\n")
        for _ in 0..<indent { output.append("  ") }
    }

    /// Integral values print as integers (`1`, not `1.0`); others in Swift's shortest
    /// round-tripping form. Non-finite values have no JSON form and print as null.
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int(value))
        }
        return "\(value)"
    }

    public static func writeString(_ string: String, into output: inout String) {
        output.append("\"")
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            output.append(string)
            output.append("\"")
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output.append("\\\"")
            case "\\": output.append("\\\\")
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            case "\u{08}": output.append("\\b")
            case "\u{0C}": output.append("\\f")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output.append("\"")
    }
}
