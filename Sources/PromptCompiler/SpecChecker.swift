import Crypto
import EndpointModel
import Foundation
import SpecFrontEnd

/// Checks one spec file's tree and lowers it to an `EndpointDefinition`. Every problem is a
/// diagnostic; the definition is returned only when the spec has no errors.
struct SpecChecker {
    static let topLevelKeys = [
        "name", "version", "description", "route", "input", "output", "models", "parameters", "fallback",
        "prompt", "examples", "cache", "lifecycle", "tests",
    ]
    static let lifecycleKeys = ["deprecated", "sunset", "successor", "retired"]
    static let promptKeys = ["system", "user"]
    static let exampleKeys = ["input", "output"]

    /// A checked spec, with the places that cross-file checks point at.
    struct Result {
        var definition: EndpointDefinition?
        /// The spec's name when it is valid, even when other parts of the spec are not.
        var name: String?
        var nameSpan: SourceSpan?
        var routeSpan: SourceSpan?
        /// `lifecycle.successor`, which must name an endpoint of the project.
        var successorSpan: SourceSpan?
        var diagnostics: [Diagnostic]
        /// The cases `promptc test` runs: the examples, then `tests`.
        var tests: [SpecTestCase] = []
    }

    let source: SourceFile
    let bytes: Data
    let providers: ProviderCatalog
    var reader = SpecReader()
    /// Input fields whose schema has an error: templates that use them are not checked again.
    var brokenInputFields: Set<String> = []

    init(source: SourceFile, bytes: Data, providers: ProviderCatalog) {
        self.source = source
        self.bytes = bytes
        self.providers = providers
    }

    mutating func check(_ root: SpecNode) -> Result {
        guard let entries = root.entries else {
            reader.diagnostics.emit(
                .documentNotMapping, "a spec must be a YAML map, not \(root.kindDescription)", at: root.span,
                hint: "start with 'name:', 'description:', 'input:', 'output:', 'models:' and 'prompt:'")
            return Result(diagnostics: reader.diagnostics.diagnostics)
        }
        for entry in entries where !Self.topLevelKeys.contains(entry.key) && !entry.key.hasPrefix("x-") {
            reader.diagnostics.emit(
                .unknownTopLevelKey, "unknown key '\(entry.key)'\(Suggestion.didYouMean(entry.key, in: Self.topLevelKeys))",
                at: entry.keySpan, hint: "top-level keys are \(Self.topLevelKeys.joined(separator: ", ")), and x-… extensions")
        }
        let name = checkName(root)
        let version = checkVersion(root)
        let description = checkDescription(root)
        let route = checkRoute(root, name: name, version: version)

        let errorsBeforeSchemas = reader.diagnostics.errorCount
        let diagnosticsBeforeInput = reader.diagnostics.diagnostics.count
        var schemas = FieldSchemaChecker(reader: reader)
        let inputFields = root["input"].map { schemas.fields($0, place: "input") }
        brokenInputFields = Self.fieldsWithErrors(root["input"], in: schemas.reader.diagnostics.diagnostics.dropFirst(diagnosticsBeforeInput))
        let outputFields = root["output"].map { schemas.fields($0, place: "output") }
        reader = schemas.reader
        for key in ["input", "output"] where root[key] == nil {
            reader.diagnostics.emit(.missingKey, "the spec is missing the required key '\(key)'", at: root.span,
                                    hint: "'\(key):' maps field names to their schemas, e.g. 'text: string'")
        }
        if let output = root["output"], output.entries?.isEmpty == true {
            reader.diagnostics.emit(.emptySchema, "'output' has no fields; say what the model must return", at: output.span)
        }
        let input = FieldSchema.object(inputFields ?? [])
        let output = FieldSchema.object(outputFields ?? [])
        // Examples checked against a schema that lost a broken field would only repeat its error.
        let schemasAreSound = reader.diagnostics.errorCount == errorsBeforeSchemas

        var chain = ModelChainChecker(providers: providers, reader: reader)
        let fallback = root["fallback"].map { chain.fallback($0) } ?? FallbackPolicy()
        if let fallbackNode = root["fallback"] { chain.checkTimeout(fallback, fallbackNode: fallbackNode) }
        let models = root["models"].map { chain.models($0, deadlineMs: fallback.deadlineMs) } ?? []
        let parameters = root["parameters"].map { chain.parameters($0) } ?? ModelParameters()
        let cache = root["cache"].flatMap { chain.cache($0) }
        reader = chain.reader
        if root["models"] == nil {
            reader.diagnostics.emit(.missingKey, "the spec is missing the required key 'models'", at: root.span,
                                    hint: "list the models to try in order, e.g. '- openai/gpt-4o-mini'")
        }

        let prompt = checkPrompt(root, input: input, inputNode: root["input"], hasInput: inputFields != nil)
        let lifecycle = root["lifecycle"].flatMap { checkLifecycle($0, name: name) }
        let examples = schemasAreSound ? checkExamples(root, input: input, output: output) : []
        let tests = schemasAreSound ? checkTests(root, input: input, output: output, examples: examples) : []

        var extensions: [String: JSONValue] = [:]
        for entry in entries where entry.key.hasPrefix("x-") {
            if let value = reader.json(entry.value) { extensions[entry.key] = value }
        }

        let result = Result(
            definition: nil, name: name, nameSpan: root.entry("name")?.value.span, routeSpan: (root["route"] ?? root["name"])?.span,
            successorSpan: root["lifecycle"]?["successor"]?.span, diagnostics: reader.diagnostics.diagnostics, tests: tests)
        guard !reader.diagnostics.hasErrors, let name, let description, let route, let prompt,
              inputFields != nil, outputFields != nil else { return result }
        var checked = result
        checked.definition = EndpointDefinition(
            name: name, version: version, description: description, method: route.method, path: route.path,
            source: source.path, specSHA256: PromptCompiler.specDigest(bytes),
            input: input, output: output, prompt: prompt, models: models, parameters: parameters,
            fallback: fallback, cache: cache, lifecycle: lifecycle, examples: examples, extensions: extensions)
        return checked
    }

    /// The top-level fields of `input` under which one of `diagnostics` is an error: each error
    /// belongs to the last field that starts at or above its line.
    static func fieldsWithErrors(_ input: SpecNode?, in diagnostics: ArraySlice<Diagnostic>) -> Set<String> {
        guard let entries = input?.entries, !entries.isEmpty else { return [] }
        let starts = entries.map { (name: $0.key.hasSuffix("?") ? String($0.key.dropLast()) : $0.key, line: $0.keySpan.start.line) }
        var broken: Set<String> = []
        for diagnostic in diagnostics where diagnostic.severity == .error {
            if let owner = starts.last(where: { $0.line <= diagnostic.location.line }) { broken.insert(owner.name) }
        }
        return broken
    }

    // MARK: - lifecycle

    private mutating func checkLifecycle(_ node: SpecNode, name: String?) -> Lifecycle? {
        guard let entries = reader.entries(node, "'lifecycle'") else { return nil }
        reader.checkKeys(entries, allowed: Self.lifecycleKeys, code: .unknownKey, in: "'lifecycle'")
        var lifecycle = Lifecycle()
        var days: [String: (day: Int64, span: SourceSpan)] = [:]
        for key in ["deprecated", "sunset"] {
            guard let dateNode = node[key] else { continue }
            // A plain YAML date is a scalar like any other here: its text is what counts.
            let text = dateNode.scalar?.text ?? ""
            guard let day = Lifecycle.startOfDay(text) else {
                reader.diagnostics.emit(
                    .invalidLifecycleDate, "'lifecycle.\(key)' must be a date as YYYY-MM-DD, not \(dateNode.scalar == nil ? dateNode.kindDescription : "'\(text)'")",
                    at: dateNode.span, hint: "e.g. '\(key): 2027-06-30'")
                continue
            }
            days[key] = (day, dateNode.span)
            if key == "deprecated" { lifecycle.deprecated = text } else { lifecycle.sunset = text }
        }
        if let deprecated = days["deprecated"], let sunset = days["sunset"], sunset.day < deprecated.day {
            reader.diagnostics.emit(
                .sunsetBeforeDeprecation, "'lifecycle.sunset' (\(lifecycle.sunset ?? "")) is before 'lifecycle.deprecated' (\(lifecycle.deprecated ?? ""))",
                at: sunset.span, hint: "callers are told of the deprecation first: make the sunset the same day or later")
        }
        if let successorNode = node["successor"], let successor = reader.string(successorNode, "'lifecycle.successor'") {
            if successor == name {
                reader.diagnostics.emit(
                    .unknownSuccessor, "'lifecycle.successor' names this endpoint itself", at: successorNode.span,
                    hint: "name the endpoint callers should move to, e.g. a new version's")
            } else {
                lifecycle.successor = successor
            }
        }
        if let retiredNode = node["retired"], let retired = reader.bool(retiredNode, "'lifecycle.retired'") {
            lifecycle.retired = retired
        }
        return lifecycle
    }

    // MARK: - name, version, description, route

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, (0x61...0x7A).contains(first), bytes.count <= 63 else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
    }

    private mutating func checkName(_ root: SpecNode) -> String? {
        guard let node = reader.requireKey("name", in: root, of: "the spec", hint: "e.g. 'name: sentiment'"),
              let name = reader.string(node, "'name'") else { return nil }
        guard Self.isValidName(name) else {
            reader.diagnostics.emit(
                .invalidName, "'\(name)' is not a valid endpoint name", at: node.span,
                hint: "use 1 to 63 lowercase letters, digits, '_' or '-', starting with a letter (e.g. '\(Self.suggestedName(name))')")
            return nil
        }
        let fileName = URL(fileURLWithPath: source.path).deletingPathExtension().lastPathComponent
        if fileName != name {
            reader.diagnostics.emit(
                .fileNameMismatch, "the spec is named '\(name)' but its file is '\(fileName)'", at: node.span,
                hint: "rename the file to \(name).yaml, or the spec to '\(fileName)'")
        }
        return name
    }

    static func suggestedName(_ name: String) -> String {
        let mapped = name.lowercased().map { ch -> Character in
            ch.isASCII && (ch.isLetter || ch.isNumber || ch == "_" || ch == "-") ? ch : "_"
        }
        let trimmed = String(mapped.drop { !$0.isLetter }).prefix(63)
        return trimmed.isEmpty ? "endpoint" : String(trimmed)
    }

    private mutating func checkVersion(_ root: SpecNode) -> Int {
        guard let node = root["version"] else { return 1 }
        guard case .integer(let version)? = node.scalar?.kind, version >= 1 else {
            reader.diagnostics.emit(
                .invalidVersion, "'version' must be a whole number of at least 1, not \(node.scalar?.text ?? node.kindDescription)",
                at: node.span)
            return 1
        }
        return version
    }

    private mutating func checkDescription(_ root: SpecNode) -> String? {
        guard let node = reader.requireKey("description", in: root, of: "the spec", hint: "say in a sentence what the endpoint does; it goes into OpenAPI"),
              let description = reader.string(node, "'description'") else { return nil }
        let trimmed = description.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            reader.diagnostics.emit(.emptyDescription, "'description' is empty", at: node.span,
                                    hint: "say in a sentence what the endpoint does; it goes into OpenAPI")
            return nil
        }
        return trimmed
    }

    private mutating func checkRoute(_ root: SpecNode, name: String?, version: Int) -> (method: String, path: String)? {
        guard let node = root["route"] else {
            return name.map { ("POST", "/v\(version)/\($0)") }
        }
        guard let text = reader.string(node, "'route'") else { return nil }
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[1].hasPrefix("/") else {
            reader.diagnostics.emit(.malformedRoute, "'\(text)' is not a route of the form 'METHOD /path'", at: node.span,
                                    hint: "e.g. 'POST /v1/sentiment'")
            return nil
        }
        let method = String(parts[0]), path = String(parts[1])
        var valid = true
        if method != "POST" {
            reader.diagnostics.emit(
                .unsupportedMethod, "method '\(method)' is not supported; endpoints answer POST", at: SourceSpan(start: node.span.start, length: method.count),
                hint: method.uppercased() == "POST" ? "write it in capitals: POST" : "write 'POST \(path)'")
            valid = false
        }
        let pathColumn = node.span.start.column + (node.scalar?.style == .quoted ? 1 : 0)
            + text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: text.range(of: path)?.lowerBound.samePosition(in: text.unicodeScalars) ?? text.unicodeScalars.startIndex)
        var column = pathColumn + 1
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            let ok = !segment.isEmpty && segment.utf8.allSatisfy {
                (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
            }
            if !ok {
                let location = SourceLocation(file: node.span.file, line: node.span.start.line, column: column)
                reader.diagnostics.emit(
                    .invalidPathSegment,
                    segment.isEmpty ? "route path '\(path)' has an empty segment" : "path segment '\(segment)' may use only a-z, 0-9, '.', '_' and '-'",
                    at: SourceSpan(start: location, length: max(1, segment.unicodeScalars.count)),
                    hint: segment.isEmpty ? "remove the doubled or trailing '/'" : "e.g. '\(segment.lowercased())'")
                valid = false
            }
            column += segment.unicodeScalars.count + 1
        }
        if valid, let reserved = ReservedPaths.owner(of: path) {
            reader.diagnostics.emit(
                .reservedRoute, "route path '\(path)' is reserved: \(reserved)", at: node.span,
                hint: "choose another path, e.g. 'POST /v1\(path)'")
            valid = false
        }
        return valid ? (method, path) : nil
    }

    // MARK: - prompt

    private mutating func checkPrompt(_ root: SpecNode, input: FieldSchema, inputNode: SpecNode?, hasInput: Bool) -> EndpointDefinition.Prompt? {
        guard let node = reader.requireKey("prompt", in: root, of: "the spec", hint: "add 'prompt:' with a 'user:' template"),
              let entries = reader.entries(node, "'prompt'") else { return nil }
        reader.checkKeys(entries, allowed: Self.promptKeys, code: .unknownKey, in: "'prompt'")
        var templates = TemplateChecker(source: source, input: input, reader: reader, brokenFields: brokenInputFields)
        var system: String?
        var parsedAll = true
        if let systemNode = node["system"], let text = templates.reader.string(systemNode, "'prompt.system'") {
            system = text
            parsedAll = templates.check(systemNode, text: text, key: "system") != nil && parsedAll
        }
        var user: String?
        if let userNode = templates.reader.requireKey("user", in: node, of: "'prompt'", hint: "the user message template, e.g. 'user: \"{{text}}\"'"),
           let text = templates.reader.string(userNode, "'prompt.user'") {
            user = text
            parsedAll = templates.check(userNode, text: text, key: "user") != nil && parsedAll
        }
        reader = templates.reader
        // An unknown variable is most often a misspelled field: the field is not "unused".
        if parsedAll, hasInput, !templates.foundUnknownVariables, let inputEntries = inputNode?.entries {
            for entry in inputEntries {
                let name = entry.key.hasSuffix("?") ? String(entry.key.dropLast()) : entry.key
                guard input.property(named: name) != nil, !templates.usedFields.contains(name) else { continue }
                reader.diagnostics.emit(
                    .unusedInputField, "input field '\(name)' is not used by any template", at: entry.keySpan,
                    hint: "use it as {{\(name)}} in prompt.user or prompt.system, or remove it")
            }
        }
        return user.map { EndpointDefinition.Prompt(system: system, user: $0) }
    }

    // MARK: - examples

    private mutating func checkExamples(_ root: SpecNode, input: FieldSchema, output: FieldSchema) -> [EndpointDefinition.Example] {
        guard let node = root["examples"], let items = reader.items(node, "'examples'") else { return [] }
        let inputValidator = SchemaValidator(input), outputValidator = SchemaValidator(output)
        var examples: [EndpointDefinition.Example] = []
        for (index, item) in items.enumerated() {
            guard let entries = reader.entries(item, "an example") else { continue }
            reader.checkKeys(entries, allowed: Self.exampleKeys, code: .unknownKey, in: "an example")
            var values: [JSONValue] = []
            for (key, validator, code) in [("input", inputValidator, DiagnosticCode.exampleInputInvalid), ("output", outputValidator, .exampleOutputInvalid)] {
                guard let valueNode = item[key] else {
                    reader.diagnostics.emit(.malformedExample, "example \(index + 1) has no '\(key)'", at: item.span,
                                            hint: "each example is '{input: {...}, output: {...}}'")
                    continue
                }
                guard let value = reader.json(valueNode) else { continue }
                for violation in validator.validate(value) {
                    let place = violation.path.isEmpty ? "" : " at \(violation.path)"
                    reader.diagnostics.emit(
                        code, "example \(index + 1) \(key)\(place) \(violation.message)",
                        at: valueNode.node(at: violation.path).span)
                }
                values.append(value)
            }
            if values.count == 2 { examples.append(.init(input: values[0], output: values[1])) }
        }
        return examples
    }
}
