import Foundation
import Yams

/// Reads one YAML file into a `SpecNode` tree. Every way a file can be unusable (too large,
/// not UTF-8, not YAML, an alias bomb, nesting that would exhaust the stack) ends as a
/// diagnostic with a position where one exists, never as a crash or a hang.
public enum SpecFileLoader {
    public static let maximumFileSize = 1 << 20
    /// How many nodes a document may expand to through aliases. Real specs have hundreds.
    public static let maximumNodeCount = 100_000
    /// How deep collections may nest. Yams composes recursively, so this guards the stack.
    public static let maximumDepth = 128

    public struct Loaded: Sendable {
        public var source: SourceFile?
        public var root: SpecNode?
    }

    /// Reads and parses the file at `path`; `displayPath` is how diagnostics name it.
    /// `emptyIsAnEmptyMap`: for promptc.yaml, where a file of comments only means the defaults.
    public static func load(path: String, displayPath: String, emptyIsAnEmptyMap: Bool = false, into diagnostics: inout DiagnosticCollector) -> Loaded {
        let fileSpan = SourceSpan(start: .file(displayPath))
        let url = URL(fileURLWithPath: path)
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
           size > maximumFileSize {
            diagnostics.emit(
                .fileTooLarge, "file is \(size) bytes; a spec may be at most 1 MiB (\(maximumFileSize) bytes)",
                at: fileSpan, hint: "split the spec, or move long text out of it")
            return Loaded()
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            diagnostics.emit(.fileUnreadable, "cannot read file: \(error.localizedDescription)", at: fileSpan)
            return Loaded()
        }
        return parse(data: data, path: displayPath, emptyIsAnEmptyMap: emptyIsAnEmptyMap, into: &diagnostics)
    }

    /// Parses file contents already in memory.
    public static func parse(data: Data, path: String, emptyIsAnEmptyMap: Bool = false, into diagnostics: inout DiagnosticCollector) -> Loaded {
        let fileSpan = SourceSpan(start: .file(path))
        guard data.count <= maximumFileSize else {
            diagnostics.emit(
                .fileTooLarge, "file is \(data.count) bytes; a spec may be at most 1 MiB (\(maximumFileSize) bytes)",
                at: fileSpan, hint: "split the spec, or move long text out of it")
            return Loaded()
        }
        guard var text = String(validating: data, as: UTF8.self) else {
            diagnostics.emit(
                .invalidUTF8, "file is not valid UTF-8", at: SourceSpan(start: firstInvalidUTF8(in: data, path: path)),
                hint: "save the file as UTF-8")
            return Loaded()
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let source = SourceFile(path: path, text: text)
        return Loaded(source: source, root: parse(source: source, emptyIsAnEmptyMap: emptyIsAnEmptyMap, into: &diagnostics))
    }

    static func parse(source: SourceFile, emptyIsAnEmptyMap: Bool = false, into diagnostics: inout DiagnosticCollector) -> SpecNode? {
        if let problem = StructureGuard.check(source) {
            diagnostics.emit(problem)
            return nil
        }
        let node: Node?
        do {
            // The basic resolver leaves plain scalars untyped; ScalarResolver types them.
            // The encoding is given: `.default` reads the process environment on every parse.
            node = try Parser(yaml: source.text, resolver: .basic, encoding: .utf8).singleRoot()
        } catch let error as YamlError {
            diagnostics.emit(diagnostic(for: error, in: source))
            return nil
        } catch {
            diagnostics.emit(.yamlSyntax, "cannot parse YAML: \(error)", at: SourceSpan(start: .file(source.path)))
            return nil
        }
        guard let node else {
            if emptyIsAnEmptyMap { return SpecNode(value: .mapping([]), span: SourceSpan(start: SourceLocation(file: source.path, line: 1, column: 1))) }
            diagnostics.emit(
                .documentNotMapping, "file is empty; a spec is a YAML map of keys such as name, input, output",
                at: SourceSpan(start: .file(source.path)))
            return nil
        }
        var converter = NodeConverter(path: source.path)
        do {
            let root = try converter.convert(node, depth: 0)
            diagnostics.append(contentsOf: converter.diagnostics.diagnostics)
            return root
        } catch {
            diagnostics.emit(
                .yamlTooComplex,
                "the YAML expands to more than \(maximumNodeCount) nodes through aliases (an alias bomb?)",
                at: SourceSpan(start: SourceLocation(file: source.path, line: 1, column: 1)),
                hint: "use fewer anchors and aliases")
            return nil
        }
    }

    private static func diagnostic(for error: YamlError, in source: SourceFile) -> Diagnostic {
        // libyaml reports an error at the end of a file that has no final newline one line past
        // its end (found by fuzzing); such a place is the end of the last line.
        func at(_ mark: Mark) -> SourceSpan {
            let lastLine = max(1, source.lines.count)
            guard mark.line > lastLine else {
                return SourceSpan(start: SourceLocation(file: source.path, line: mark.line, column: mark.column))
            }
            let end = (source.line(lastLine)?.unicodeScalars.count ?? 0) + 1
            return SourceSpan(start: SourceLocation(file: source.path, line: lastLine, column: end))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            // libyaml's context ("while parsing a block mapping") names where the enclosing
            // structure began, often line 1: it goes in as a related place, not into the message.
            let place = at(mark)
            var related: [SourceLocation] = []
            if let context, at(context.mark).start.line != place.start.line { related.append(at(context.mark).start) }
            return Diagnostic(.yamlSyntax, "YAML syntax error: \(problem)", at: place, hint: yamlAdvice(problem), related: related)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let second = secondOccurrence(ofKey: key, after: context.mark, in: source) ?? at(context.mark).start
            return Diagnostic(
                .duplicateKey, "key '\(key)' appears twice in the same map (first at line \(context.mark.line))",
                at: SourceSpan(start: second, length: key.unicodeScalars.count),
                hint: "remove one of them; YAML would otherwise keep only one silently",
                related: [at(context.mark).start])
        case .reader(let problem, _, _, _):
            return Diagnostic(.invalidUTF8, "cannot read YAML: \(problem)", at: SourceSpan(start: .file(source.path)))
        default:
            return Diagnostic(.yamlSyntax, "cannot parse YAML: \(error)", at: SourceSpan(start: .file(source.path)))
        }
    }

    /// What to do about libyaml's most common complaints, in a spec author's words.
    static func yamlAdvice(_ problem: String) -> String {
        let advice: [(String, String)] = [
            ("mapping values are not allowed", "a ': ' inside a value: put the value in quotes, e.g. description: \"Note: it is short\""),
            ("did not find expected key", "this line is not indented like the keys of its map: line it up with its siblings (spaces, not tabs)"),
            ("could not find expected ':'", "a key needs ': ' after it; if this is text, quote it or indent it under its key"),
            ("did not find expected '-' indicator", "list items of one list start with '- ' at the same indentation"),
            ("found character that cannot start any token", "a value starting with @, ` or a tab: quote the value, and indent with spaces"),
            ("tab", "indent with spaces; YAML does not allow tabs for indentation"),
            ("unexpected end of stream", "a quote, [ or { is not closed before the end of the file"),
            ("found unknown escape character", "in double quotes a backslash starts an escape: use single quotes, or write \\\\"),
            ("did not find expected ',' or ']'", "a [ list ] is not closed, or an item in it needs quotes"),
            ("did not find expected ',' or '}'", "a { map } is not closed, or a value in it needs quotes"),
        ]
        return advice.first { problem.contains($0.0) }?.1
            ?? "check the indentation and quoting of this line and the one above it; values with ': ', or starting with @, `, * or &, need quotes"
    }

    /// Yams reports a duplicate key at its first occurrence; the user wants the second.
    private static func secondOccurrence(ofKey key: String, after mark: Mark, in source: SourceFile) -> SourceLocation? {
        var lineNumber = mark.line + 1
        while let line = source.line(lineNumber) {
            let scalars = Array(line.unicodeScalars)
            let indent = mark.column - 1
            if scalars.count > indent, scalars[..<indent].allSatisfy({ $0 == " " || $0 == "-" }) {
                let rest = String(String.UnicodeScalarView(scalars[indent...]))
                for candidate in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(candidate) {
                    let after = rest.dropFirst(candidate.count).drop { $0 == " " }
                    if after.hasPrefix(":") {
                        return SourceLocation(file: source.path, line: lineNumber, column: mark.column)
                    }
                }
            }
            lineNumber += 1
        }
        return nil
    }

    private static func firstInvalidUTF8(in data: Data, path: String) -> SourceLocation {
        var line = 1, column = 1
        var iterator = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput:
                return SourceLocation(file: path, line: line, column: column)
            case .error:
                return SourceLocation(file: path, line: line, column: column)
            }
        }
    }
}

/// Turns Yams nodes into `SpecNode`s, counting every node it visits so that aliases which
/// multiply a document (the "billion laughs") stop at a budget instead of exhausting memory.
private struct NodeConverter {
    struct BudgetExceeded: Error {}

    let path: String
    var visited = 0
    var diagnostics = DiagnosticCollector()

    init(path: String) { self.path = path }

    mutating func convert(_ node: Node, depth: Int) throws -> SpecNode {
        visited += 1
        guard visited <= SpecFileLoader.maximumNodeCount, depth <= SpecFileLoader.maximumDepth else {
            throw BudgetExceeded()
        }
        let start = location(node.mark)
        switch node {
        case .scalar(let scalar):
            let converted = Self.scalar(scalar)
            let length: Int
            switch converted.style {
            case .plain: length = converted.text.utf8.contains(UInt8(ascii: "\n")) ? 1 : converted.text.unicodeScalars.count
            case .quoted: length = converted.text.utf8.contains(UInt8(ascii: "\n")) ? 1 : converted.text.unicodeScalars.count + 2
            case .block: length = 1
            }
            return SpecNode(value: .scalar(converted), span: SourceSpan(start: start, length: length))
        case .sequence(let sequence):
            var items: [SpecNode] = []
            items.reserveCapacity(sequence.count)
            for item in sequence {
                items.append(try convert(item, depth: depth + 1))
            }
            return SpecNode(value: .sequence(items), span: SourceSpan(start: start))
        case .mapping(let mapping):
            var entries: [SpecNode.Entry] = []
            entries.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                let keyLocation = location(key.mark)
                guard case .scalar(let keyScalar) = key else {
                    diagnostics.emit(
                        .complexKey, "map keys must be plain names, not maps or lists",
                        at: SourceSpan(start: keyLocation))
                    continue
                }
                let keyText = keyScalar.string
                entries.append(SpecNode.Entry(
                    key: keyText,
                    keySpan: SourceSpan(start: keyLocation, length: keyText.unicodeScalars.count),
                    value: try convert(value, depth: depth + 1)))
            }
            return SpecNode(value: .mapping(entries), span: SourceSpan(start: start))
        case .alias:
            // compose() resolves aliases to their anchored nodes; this case is not produced.
            return SpecNode(value: .scalar(.init(text: "", kind: .null, style: .plain)), span: SourceSpan(start: start))
        }
    }

    private func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func scalar(_ scalar: Node.Scalar) -> SpecNode.Scalar {
        switch scalar.style {
        case .plain, .any:
            return .init(text: scalar.string, kind: ScalarResolver.resolve(plain: scalar.string), style: .plain)
        case .singleQuoted, .doubleQuoted:
            return .init(text: scalar.string, kind: .string, style: .quoted)
        case .literal, .folded:
            return .init(text: scalar.string, kind: .string, style: .block)
        }
    }
}
