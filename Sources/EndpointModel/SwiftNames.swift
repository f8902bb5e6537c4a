import Foundation

/// Turns spec names into Swift identifiers for Endpoints.swift.
public enum SwiftNames {
    public static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
        "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
        "where", "while", "Any", "as", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try",
        "Type", "Protocol", "some", "any", "await", "async", "consume", "borrowing", "consuming", "copy",
        "discard", "each", "macro", "package", "actor", "nonisolated", "isolated",
    ]

    /// `extract_entities` -> `ExtractEntities`.
    public static func typeName(_ name: String) -> String {
        let words = self.words(name)
        let joined = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return sanitizedStart(joined.isEmpty ? "Value" : joined)
    }

    /// The name of a type nested in a struct: a keyword such as `Type` or `Self` would need
    /// backticks at every use, so it gets a suffix instead (`TypeValue`).
    public static func nestedTypeName(_ field: String) -> String {
        let name = typeName(field)
        return keywords.contains(name) || ["Input", "Output", "CodingKeys"].contains(name) ? name + "Value" : name
    }

    /// `max-length` -> `maxLength`, `class` -> `` `class` ``.
    public static func memberName(_ name: String) -> String {
        let words = self.words(name)
        guard let first = words.first else { return "value" }
        let joined = first.prefix(1).lowercased() + first.dropFirst()
            + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        let identifier = sanitizedStart(joined)
        // These cannot be told apart from the language's own even in backticks
        // (`self.self = self`), so they get a suffix.
        if ["self", "super", "init", "Type", "Protocol", "Self"].contains(identifier) { return identifier + "Value" }
        return keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// Splits on anything that cannot stand in an identifier; keeps letters of every script.
    private static func words(_ name: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            if isIdentifierScalar(scalar) {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    private static func isIdentifierScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            return (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
        }
        return scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal
    }

    private static func sanitizedStart(_ identifier: String) -> String {
        guard let first = identifier.unicodeScalars.first else { return "_" }
        return first.properties.numericType == .decimal ? "_" + identifier : identifier
    }

    /// Makes names unique within one scope by numbering repeats: `label`, `label2`.
    public struct Uniquer {
        private var used: Set<String>

        public init(reserved: Set<String> = []) { used = reserved }

        public mutating func unique(_ name: String) -> String {
            let bare = name.trimmingCharacters(in: ["`"])
            var candidate = bare
            var number = 2
            while used.contains(candidate) {
                candidate = "\(bare)\(number)"
                number += 1
            }
            used.insert(candidate)
            return keywords.contains(candidate) ? "`\(candidate)`" : candidate
        }
    }

    /// A Swift string literal.
    public static func literal(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
