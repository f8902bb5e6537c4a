/// A parsed Mustache template, the spec's `prompt.system` and `prompt.user`.
///
/// Parsed and rendered here rather than with swift-mustache because the compiler must list
/// every variable a template names, with its place in the source, to check it against the
/// input schema, which swift-mustache cannot do; and prompts must never be HTML-escaped.
/// Supported: `{{name}}`, `{{a.b}}`, `{{.}}`, `{{{name}}}`, `{{&name}}`, sections
/// `{{#name}}…{{/name}}`, inverted sections `{{^name}}…{{/name}}` and comments `{{! … }}`.
/// Partials and delimiter changes are rejected.
public struct PromptTemplate: Sendable, Hashable {
    public indirect enum Node: Sendable, Hashable {
        case text(String)
        case variable(Tag)
        case section(Tag, inverted: Bool, children: [Node])
    }

    /// A tag that names a value, with where it stands in the template.
    public struct Tag: Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case variable, section, invertedSection }
        public var kind: Kind
        /// The name as written, `a.b`, or `.` for the current item.
        public var name: String
        /// The tag's text, braces included: `{{ a.b }}`.
        public var text: String
        /// Where the tag starts, in Unicode scalars from the template's start.
        public var offset: Int
        /// The name's parts, `["a", "b"]`, or none for `.`; split once here, not on every render.
        public let path: [String]

        public init(kind: Kind, name: String, text: String, offset: Int) {
            self.kind = kind
            self.name = name
            self.text = text
            self.offset = offset
            path = name == "." ? [] : name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        }
    }

    public struct SyntaxError: Error, Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case syntax, unsupported }
        public var kind: Kind
        public var message: String
        /// The offending text and where it starts, in Unicode scalars.
        public var text: String
        public var offset: Int
    }

    public let source: String
    public let nodes: [Node]

    public init(_ source: String) throws(SyntaxError) {
        self.source = source
        var parser = TemplateParser(source)
        self.nodes = try parser.parse()
    }

    /// Every tag, sections before their contents, in source order.
    public var tags: [Tag] {
        var result: [Tag] = []
        func visit(_ nodes: [Node]) {
            for node in nodes {
                switch node {
                case .text: break
                case .variable(let tag): result.append(tag)
                case .section(let tag, _, let children):
                    result.append(tag)
                    visit(children)
                }
            }
        }
        visit(nodes)
        return result
    }
}

private struct TemplateParser {
    let scalars: [Unicode.Scalar]
    var position = 0

    init(_ source: String) {
        scalars = Array(source.unicodeScalars)
    }

    private struct OpenSection {
        var tag: PromptTemplate.Tag
        var inverted: Bool
        var children: [PromptTemplate.Node]
    }

    mutating func parse() throws(PromptTemplate.SyntaxError) -> [PromptTemplate.Node] {
        var stack: [OpenSection] = []
        var current: [PromptTemplate.Node] = []
        var text = String.UnicodeScalarView()

        func flushText() {
            if !text.isEmpty { current.append(.text(String(text))) }
            text = String.UnicodeScalarView()
        }

        while position < scalars.count {
            guard isAt("{{") else {
                text.append(scalars[position])
                position += 1
                continue
            }
            let start = position
            let triple = isAt("{{{")
            let closer = triple ? "}}}" : "}}"
            guard let end = find(closer, from: start + (triple ? 3 : 2), acrossLines: !triple && isComment(start + 2)) else {
                throw error(.syntax, "'{{' is never closed with '\(closer)'", from: start, to: min(scalars.count, start + 2))
            }
            let afterTag = end + closer.unicodeScalars.count
            let tagText = String(String.UnicodeScalarView(scalars[start..<afterTag]))
            var inner = String(String.UnicodeScalarView(scalars[(start + (triple ? 3 : 2))..<end]))
                .trimmingWhitespace()
            var sigil: Character = " "
            if !triple, let first = inner.first, "#^/!>=&{".contains(first) {
                sigil = first
                inner = String(inner.dropFirst()).trimmingWhitespace()
            }
            let standalone = sigil != " " && sigil != "&" && isStandalone(start: start, end: afterTag)
            if standalone {
                // A section or comment tag alone on its line leaves no blank line behind.
                while let last = text.last, last == " " || last == "\t" { text.removeLast() }
            }
            position = afterTag
            if standalone { skipLineEnd() }

            switch sigil {
            case "!":
                continue
            case ">":
                throw error(.unsupported, "partials ('{{>…}}') are not supported in prompts", from: start, to: afterTag)
            case "=":
                throw error(.unsupported, "changing delimiters ('{{=…=}}') is not supported in prompts", from: start, to: afterTag)
            case "{":
                throw error(.syntax, "'{{{' must be closed with '}}}'", from: start, to: afterTag)
            default:
                break
            }
            try checkName(inner, tagText: tagText, start: start, end: afterTag)
            switch sigil {
            case "#", "^":
                flushText()
                let tag = PromptTemplate.Tag(
                    kind: sigil == "#" ? .section : .invertedSection, name: inner, text: tagText, offset: start)
                stack.append(OpenSection(tag: tag, inverted: sigil == "^", children: current))
                current = []
            case "/":
                flushText()
                guard let open = stack.popLast() else {
                    throw error(.syntax, "'{{/\(inner)}}' closes a section that was never opened", from: start, to: afterTag)
                }
                guard open.tag.name == inner else {
                    throw error(.syntax, "'{{/\(inner)}}' closes '\(open.tag.name)', which was opened as '{{\(open.inverted ? "^" : "#")\(open.tag.name)}}'", from: start, to: afterTag)
                }
                let section = PromptTemplate.Node.section(open.tag, inverted: open.inverted, children: current)
                current = open.children
                current.append(section)
            default:
                flushText()
                current.append(.variable(PromptTemplate.Tag(kind: .variable, name: inner, text: tagText, offset: start)))
            }
        }
        flushText()
        if let open = stack.last {
            throw PromptTemplate.SyntaxError(
                kind: .syntax, message: "section '\(open.tag.name)' is never closed with '{{/\(open.tag.name)}}'",
                text: open.tag.text, offset: open.tag.offset)
        }
        return current
    }

    private func checkName(_ name: String, tagText: String, start: Int, end: Int) throws(PromptTemplate.SyntaxError) {
        if name == "." { return }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !name.isEmpty && parts.allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { !$0.properties.isWhitespace && !"{}#^/!>=&".unicodeScalars.contains($0) }
        }
        guard valid else {
            throw error(.syntax, "'\(tagText)' does not name a variable", from: start, to: end)
        }
    }

    private func isAt(_ token: String) -> Bool {
        var index = position
        for scalar in token.unicodeScalars {
            guard index < scalars.count, scalars[index] == scalar else { return false }
            index += 1
        }
        return true
    }

    /// Where `token` next starts; a tag ends on its own line, but a comment may span lines.
    private func find(_ token: String, from start: Int, acrossLines: Bool) -> Int? {
        let pattern = Array(token.unicodeScalars)
        var index = start
        while index + pattern.count <= scalars.count {
            if scalars[index] == pattern[0], Array(scalars[index..<index + pattern.count]) == pattern { return index }
            if scalars[index] == "\n", !acrossLines { return nil }
            index += 1
        }
        return nil
    }

    private func isComment(_ innerStart: Int) -> Bool {
        var index = innerStart
        while index < scalars.count, scalars[index] == " " { index += 1 }
        return index < scalars.count && scalars[index] == "!"
    }

    /// True when only spaces or tabs stand between the tag and the line's ends.
    private func isStandalone(start: Int, end: Int) -> Bool {
        var before = start - 1
        while before >= 0, scalars[before] == " " || scalars[before] == "\t" { before -= 1 }
        guard before < 0 || scalars[before] == "\n" else { return false }
        var after = end
        while after < scalars.count, scalars[after] == " " || scalars[after] == "\t" { after += 1 }
        return after == scalars.count || scalars[after] == "\n" || scalars[after] == "\r"
    }

    private mutating func skipLineEnd() {
        while position < scalars.count, scalars[position] == " " || scalars[position] == "\t" { position += 1 }
        if position < scalars.count, scalars[position] == "\r" { position += 1 }
        if position < scalars.count, scalars[position] == "\n" { position += 1 }
    }

    private func error(_ kind: PromptTemplate.SyntaxError.Kind, _ message: String, from start: Int, to end: Int) -> PromptTemplate.SyntaxError {
        PromptTemplate.SyntaxError(
            kind: kind, message: message, text: String(String.UnicodeScalarView(scalars[start..<end])), offset: start)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
