import EndpointModel
import SpecFrontEnd

/// Reads the `input` and `output` maps (and nested `properties` and `items`) into
/// `FieldSchema`s, checking every keyword (spec-format.md, Field schemas).
struct FieldSchemaChecker {
    static let keywords = [
        "type", "description", "optional", "default", "enum", "minLength", "maxLength", "pattern", "format",
        "minimum", "maximum", "items", "minItems", "maxItems", "properties",
    ]

    /// The types each restricting keyword applies to.
    static let applicability: [String: Set<FieldType>] = [
        "enum": [.string, .integer],
        "minLength": [.string], "maxLength": [.string], "pattern": [.string], "format": [.string],
        "minimum": [.integer, .number], "maximum": [.integer, .number],
        "items": [.array], "minItems": [.array], "maxItems": [.array],
        "properties": [.object],
    ]

    var reader: SpecReader

    /// Reads a map of field name to field schema. `place` names it in messages ("input").
    mutating func fields(_ node: SpecNode, place: String) -> [FieldSchema.Property] {
        guard let entries = reader.entries(node, "'\(place)'") else { return [] }
        var properties: [FieldSchema.Property] = []
        var seen: [String: SourceSpan] = [:]
        for entry in entries {
            var name = entry.key
            var optionalByName = false
            if name.hasSuffix("?") {
                name.removeLast()
                optionalByName = true
            }
            guard Self.isValidFieldName(name) else {
                reader.diagnostics.emit(
                    .invalidFieldName, "'\(entry.key)' is not a valid field name", at: entry.keySpan,
                    hint: "start with a letter or '_', then letters, digits, '_' or '-' (a trailing '?' marks it optional)")
                continue
            }
            if let first = seen[name] {
                reader.diagnostics.emit(
                    .duplicateField, "field '\(name)' is declared twice in \(place) (first at line \(first.start.line))",
                    at: entry.keySpan, related: [first.start])
                continue
            }
            seen[name] = entry.keySpan
            guard let schema = schema(entry.value, field: "\(place).\(name)") else { continue }
            var isOptional = optionalByName
            if let optionalNode = entry.value["optional"], let flag = optionalNode.scalar.flatMap({ scalar -> Bool? in
                if case .bool(let value) = scalar.kind { return value }
                return nil
            }) {
                if optionalByName && !flag {
                    reader.diagnostics.emit(
                        .conflictingOptional, "'\(entry.key)' is marked optional by its '?' but says 'optional: false'",
                        at: optionalNode.span, hint: "remove one of them")
                } else if !flag, schema.defaultValue != nil {
                    reader.diagnostics.emit(
                        .conflictingOptional, "field '\(name)' has a default, so it cannot be 'optional: false'",
                        at: optionalNode.span, hint: "a default makes a field optional; remove 'optional: false'")
                }
                isOptional = isOptional || flag
            }
            if schema.defaultValue != nil { isOptional = true }
            properties.append(FieldSchema.Property(name: name, schema: schema, isOptional: isOptional))
        }
        return properties
    }

    /// Field names become JSON keys, template variables and Swift properties: a letter or `_`
    /// first (any script), then letters, digits, `_` or `-`.
    static func isValidFieldName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first,
              first.properties.isAlphabetic || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || $0.properties.numericType == .decimal || $0 == "_" || $0 == "-"
        }
    }

    /// Reads one field schema: a bare type (`text: string`) or a map of keywords.
    mutating func schema(_ node: SpecNode, field: String) -> FieldSchema? {
        if let scalar = node.scalar, scalar.kind == .string {
            return fieldType(scalar.text, at: node.span).map { FieldSchema(type: $0) }
        }
        guard let entries = reader.entries(node, "the schema of '\(field)'") else { return nil }
        reader.checkKeys(entries, allowed: Self.keywords, code: .unknownSchemaKeyword, in: "the schema of '\(field)'", extensionsAllowed: true)
        guard let typeNode = node["type"] else {
            reader.diagnostics.emit(
                .missingType, "field '\(field)' has no type", at: node.span,
                hint: "add 'type:' with one of \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        guard let typeName = reader.string(typeNode, "'type'"), let type = fieldType(typeName, at: typeNode.span) else {
            return nil
        }
        var schema = FieldSchema(type: type)
        for entry in entries {
            if let types = Self.applicability[entry.key], !types.contains(type) {
                let names = types.map(\.rawValue).sorted().joined(separator: " and ")
                reader.diagnostics.emit(
                    .keywordNotApplicable, "'\(entry.key)' applies to \(names) fields, not to \(type.rawValue) field '\(field)'",
                    at: entry.keySpan)
            }
        }
        if let node = node["description"] { schema.description = reader.string(node, "'description'") }
        if let node = node["optional"] { _ = reader.bool(node, "'optional'") }
        readStringKeywords(node, into: &schema, field: field)
        readNumberKeywords(node, into: &schema, field: field)
        readArrayKeywords(node, into: &schema, field: field)
        if type == .object {
            if let properties = node["properties"] {
                schema.properties = fields(properties, place: field)
                if schema.properties.isEmpty, properties.entries?.isEmpty == true {
                    reader.diagnostics.emit(.emptySchema, "object '\(field)' has no properties", at: properties.span)
                }
            } else {
                reader.diagnostics.emit(
                    .missingItemsOrProperties, "object field '\(field)' needs 'properties'", at: typeNode.span,
                    hint: "list its fields under 'properties:'; objects accept no fields they do not name")
            }
        }
        if let node = node["enum"], Self.applicability["enum"]?.contains(type) == true {
            schema.enumValues = enumValues(node, type: type, field: field)
        }
        for entry in entries where entry.key.hasPrefix("x-") {
            if let value = reader.json(entry.value) { schema.extensions[entry.key] = value }
        }
        if let defaultNode = node["default"], let value = reader.json(defaultNode) {
            let violations = SchemaValidator(schema).validate(value)
            if violations.isEmpty {
                schema.defaultValue = value
            } else {
                let reasons = violations.map { $0.path.isEmpty ? $0.message : "\($0.path) \($0.message)" }
                reader.diagnostics.emit(
                    .invalidDefault, "the default of '\(field)' does not fit its schema: \(reasons.joined(separator: "; "))",
                    at: defaultNode.span)
            }
        }
        return schema
    }

    private mutating func fieldType(_ name: String, at span: SourceSpan) -> FieldType? {
        if let type = FieldType(rawValue: name) { return type }
        let aliases: [String: String] = ["str": "string", "int": "integer", "float": "number", "bool": "boolean", "list": "array", "map": "object", "dict": "object"]
        let suggestion = aliases[name].map { " (did you mean '\($0)'?)" }
            ?? Suggestion.didYouMean(name, in: FieldType.allCases.map(\.rawValue))
        reader.diagnostics.emit(
            .unknownType, "unknown type '\(name)'\(suggestion)", at: span,
            hint: "types are \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
        return nil
    }

    private mutating func readStringKeywords(_ node: SpecNode, into schema: inout FieldSchema, field: String) {
        guard schema.type == .string else { return }
        schema.minLength = count(node, "minLength")
        schema.maxLength = count(node, "maxLength")
        checkOrder(node, "minLength", "maxLength", schema.minLength.map(Double.init), schema.maxLength.map(Double.init))
        if let patternNode = node["pattern"], let pattern = reader.string(patternNode, "'pattern'") {
            if case .failure(let error) = SchemaValidator.compile(pattern: pattern) {
                reader.diagnostics.emit(
                    .invalidPattern, "pattern of '\(field)' is not a valid regular expression: \(error.localizedDescription)",
                    at: patternNode.span)
            } else {
                schema.pattern = pattern
            }
        }
        if let formatNode = node["format"], let name = reader.string(formatNode, "'format'") {
            if let format = StringFormat(rawValue: name) {
                schema.format = format
            } else {
                let names = StringFormat.allCases.map(\.rawValue)
                reader.diagnostics.emit(
                    .unknownFormat, "unknown format '\(name)'\(Suggestion.didYouMean(name, in: names))", at: formatNode.span,
                    hint: "formats are \(names.joined(separator: ", "))")
            }
        }
    }

    private mutating func readNumberKeywords(_ node: SpecNode, into schema: inout FieldSchema, field: String) {
        guard schema.type == .integer || schema.type == .number else { return }
        for key in ["minimum", "maximum"] {
            guard let boundNode = node[key] else { continue }
            guard let value = bound(boundNode, key) else { continue }
            if key == "minimum" { schema.minimum = value } else { schema.maximum = value }
        }
        checkOrder(node, "minimum", "maximum", schema.minimum, schema.maximum)
    }

    private mutating func readArrayKeywords(_ node: SpecNode, into schema: inout FieldSchema, field: String) {
        guard schema.type == .array else { return }
        schema.minItems = count(node, "minItems")
        schema.maxItems = count(node, "maxItems")
        checkOrder(node, "minItems", "maxItems", schema.minItems.map(Double.init), schema.maxItems.map(Double.init))
        if let itemsNode = node["items"] {
            schema.items = self.schema(itemsNode, field: "\(field)[]")
        } else if let typeNode = node["type"] {
            reader.diagnostics.emit(
                .missingItemsOrProperties, "array field '\(field)' needs 'items'", at: typeNode.span,
                hint: "say what each item is, e.g. 'items: string'")
        }
    }

    private mutating func bound(_ node: SpecNode, _ key: String) -> Double? {
        switch node.scalar?.kind {
        case .integer(let value)?: return Double(value)
        case .float(let value)? where value.isFinite: return value
        default:
            reader.diagnostics.emit(.invalidBound, "'\(key)' must be a number, not \(node.kindDescription)", at: node.span)
            return nil
        }
    }

    /// A length or item count: a whole number, zero or more.
    private mutating func count(_ node: SpecNode, _ key: String) -> Int? {
        guard let countNode = node[key] else { return nil }
        guard case .integer(let value)? = countNode.scalar?.kind, value >= 0 else {
            reader.diagnostics.emit(
                .invalidBound, "'\(key)' must be a whole number of zero or more, not \(countNode.scalar?.text ?? countNode.kindDescription)",
                at: countNode.span)
            return nil
        }
        return value
    }

    private mutating func checkOrder(_ node: SpecNode, _ lowerKey: String, _ upperKey: String, _ lower: Double?, _ upper: Double?) {
        guard let lower, let upper, lower > upper, let upperNode = node[upperKey] else { return }
        reader.diagnostics.emit(
            .invalidBound, "'\(upperKey)' (\(CanonicalJSON.format(upper))) is less than '\(lowerKey)' (\(CanonicalJSON.format(lower)))",
            at: upperNode.span, hint: "no value could satisfy both")
    }

    private mutating func enumValues(_ node: SpecNode, type: FieldType, field: String) -> [JSONValue]? {
        guard let items = reader.items(node, "'enum'") else { return nil }
        guard !items.isEmpty else {
            reader.diagnostics.emit(.invalidEnum, "'enum' of '\(field)' is empty; list the allowed values", at: node.span)
            return nil
        }
        var values: [JSONValue] = []
        var valid = true
        for item in items {
            let value: JSONValue?
            switch (type, item.scalar?.kind) {
            case (.string, .string?): value = .string(item.scalar?.text ?? "")
            case (.integer, .integer(let integer)?): value = .integer(integer)
            default: value = nil
            }
            guard let value else {
                let quoted = type == .string ? " (quote it: \"\(item.scalar?.text ?? "")\")" : ""
                reader.diagnostics.emit(
                    .invalidEnum, "enum value \(item.scalar?.text.debugDescription ?? item.kindDescription) of '\(field)' is not \(type == .string ? "a string" : "an integer")\(item.scalar == nil ? "" : quoted)",
                    at: item.span)
                valid = false
                continue
            }
            if values.contains(value) {
                reader.diagnostics.emit(.invalidEnum, "enum value \(item.scalar?.text.debugDescription ?? "") of '\(field)' is listed twice", at: item.span)
                valid = false
                continue
            }
            values.append(value)
        }
        return valid ? values : nil
    }
}
