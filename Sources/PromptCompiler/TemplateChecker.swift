import EndpointModel
import SpecFrontEnd

/// Parses the prompt templates and checks every variable they name against the input schema
/// (spec-format.md, Templates), following Mustache scoping: inside `{{#list}}` names resolve
/// against the list's items first, then outwards.
struct TemplateChecker {
    let source: SourceFile
    let input: FieldSchema
    var reader: SpecReader
    /// The top-level input fields some template uses.
    private(set) var usedFields: Set<String> = []
    private(set) var foundUnknownVariables = false

    /// Input fields that are declared but whose schema has an error of its own: a template
    /// that uses one is not told again that the field does not exist.
    var brokenFields: Set<String> = []

    init(source: SourceFile, input: FieldSchema, reader: SpecReader, brokenFields: Set<String> = []) {
        self.source = source
        self.input = input
        self.reader = reader
        self.brokenFields = brokenFields
    }

    /// Parses and checks one template; nil when it does not parse.
    mutating func check(_ node: SpecNode, text: String, key: String) -> PromptTemplate? {
        let template: PromptTemplate
        do {
            template = try PromptTemplate(text)
        } catch {
            let span = locate(error.text, offset: error.offset, in: text, node: node)
            reader.diagnostics.emit(error.kind == .unsupported ? .unsupportedTemplateTag : .templateSyntax,
                                    "prompt.\(key): \(error.message)", at: span)
            return nil
        }
        walk(template.nodes, scopes: [input], template: text, node: node)
        return template
    }

    private mutating func walk(_ nodes: [PromptTemplate.Node], scopes: [FieldSchema], template: String, node: SpecNode) {
        for child in nodes {
            switch child {
            case .text:
                continue
            case .variable(let tag):
                _ = resolve(tag, scopes: scopes, template: template, node: node)
            case .section(let tag, let inverted, let children):
                // Inside a section over a field whose schema is broken, nothing can be checked.
                if scopes.count == 1, let first = tag.path.first, brokenFields.contains(first) {
                    usedFields.insert(first)
                    continue
                }
                let resolved = resolve(tag, scopes: scopes, template: template, node: node)
                var inner = scopes
                if !inverted, let resolved {
                    inner.append(resolved.type == .array ? (resolved.items ?? resolved) : resolved)
                }
                walk(children, scopes: inner, template: template, node: node)
            }
        }
    }

    /// The schema a tag's name leads to, or nil (with a diagnostic) when it leads nowhere.
    private mutating func resolve(_ tag: PromptTemplate.Tag, scopes: [FieldSchema], template: String, node: SpecNode) -> FieldSchema? {
        let path = tag.path
        guard let first = path.first else { return scopes.last }
        let scopeIndex = scopes.indices.reversed().first { scopes[$0].property(named: first) != nil }
        guard let scopeIndex, var schema = scopes[scopeIndex].property(named: first)?.schema else {
            if brokenFields.contains(first) {
                usedFields.insert(first)
                return nil
            }
            let visible = scopes.flatMap { $0.properties.map(\.name) }
            let where_ = scopes.count > 1 ? "a field of the enclosing section or of the input" : "an input field"
            emitAtName(.unknownTemplateVariable, "template uses '\(tag.name)', which is not \(where_)\(Suggestion.didYouMean(first, in: visible))",
                       tag: tag, template: template, node: node,
                       hint: visible.isEmpty ? "declare it under 'input:'" : "fields in scope: \(visible.joined(separator: ", "))")
            return nil
        }
        if scopeIndex == 0 { usedFields.insert(first) }
        var walked = first
        for name in path.dropFirst() {
            guard schema.type == .object else {
                emitAtName(.pathIntoScalar, "template uses '\(tag.name)', but '\(walked)' is \(schema.type == .array ? "an array" : "a \(schema.type.rawValue)"), which has no field '\(name)'",
                           tag: tag, template: template, node: node,
                           hint: schema.type == .array ? "iterate it with {{#\(walked)}}…{{/\(walked)}}" : nil)
                return nil
            }
            guard let property = schema.property(named: name) else {
                emitAtName(.unknownTemplateVariable, "template uses '\(tag.name)', but '\(walked)' has no field '\(name)'\(Suggestion.didYouMean(name, in: schema.properties.map(\.name)))",
                           tag: tag, template: template, node: node)
                return nil
            }
            schema = property.schema
            walked += "." + name
        }
        return schema
    }

    /// Reports at the variable's name, underlining the whole tag.
    private mutating func emitAtName(_ code: DiagnosticCode, _ message: String, tag: PromptTemplate.Tag, template: String, node: SpecNode, hint: String? = nil) {
        foundUnknownVariables = true
        let span = locate(tag.text, offset: tag.offset, in: template, node: node)
        var location = span.start
        if span.start.line > 0, let nameOffset = tag.text.unicodeScalars.firstIndex(where: { !"{#^/&! ".unicodeScalars.contains($0) }) {
            location.column += tag.text.unicodeScalars.distance(from: tag.text.unicodeScalars.startIndex, to: nameOffset)
        }
        reader.diagnostics.emit(Diagnostic(code, message, at: span, hint: hint, location: location))
    }

    /// Where a piece of a template stands in the file. YAML reports only where the scalar
    /// starts, so the piece is found as the n-th appearance of its text from there on.
    private func locate(_ text: String, offset: Int, in template: String, node: SpecNode) -> SourceSpan {
        let scalars = Array(template.unicodeScalars)
        let needle = Array(text.unicodeScalars)
        var occurrence = 0
        var index = 0
        while index < offset, index + needle.count <= scalars.count {
            if Array(scalars[index..<index + needle.count]) == needle, index < offset {
                occurrence += 1
                index += needle.count
            } else {
                index += 1
            }
        }
        let found = source.locate(text, occurrence: occurrence, from: node.location)
        return SourceSpan(start: found ?? node.location, length: found == nil ? 1 : needle.count)
    }
}
