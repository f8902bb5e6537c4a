import EndpointModel

/// `GET /portal/endpoints/NAME`: the endpoint's documentation from its spec (fields, examples,
/// chain, fallback), ready-to-copy calls, and the Try it form built from the input schema.
struct EndpointPage {
    /// A row of the input or output table.
    struct FieldRow {
        var name: String
        var type: String
        var required: String
        var constraints: String
        var defaultValue: String?
        var description: String
    }

    /// One control of the Try it form; exactly one of the `is…` flags is set.
    struct FormField {
        struct Option {
            var value: String
            var selected: Bool
        }
        var name: String
        var required: Bool
        var description: String?
        /// How the script turns the control's value into JSON: string, integer, number, boolean, json.
        var kind: String
        var value: String
        var checked = false
        var options: [Option] = []
        var isTextarea = false
        var isText = false
        var isNumber = false
        var isSelect = false
        var isCheckbox = false
        var isJSON = false
    }

    struct ExampleView {
        var input: String
        var output: String
    }

    struct ChainRow {
        var model: String
        var state: String
        var stateClass: String
        var details: String?
    }

    var name: String
    var method: String
    var path: String
    var version: Int
    var description: String
    var state: String
    var stateClass: String
    var notice: String?
    var input: [FieldRow]
    var output: [FieldRow]
    var form: [FormField]
    var examples: [ExampleView]
    var chain: [ChainRow]
    var fallback: String
    var curl: String
    var python: String
    var swift: String

    /// `baseURL` is where the reader reached this gateway (`http://HOST`), for the calls.
    init(_ endpoint: ServedEndpoint, breakers: CircuitBreakerRegistry, now: Int64, baseURL: String) {
        let definition = endpoint.definition
        let lifecycle = LifecycleState(endpoint.lifecycle, now: now)
        name = definition.name
        method = definition.method
        path = definition.path
        version = definition.version
        description = definition.description
        state = lifecycle.label
        stateClass = lifecycle.cssClass
        notice = endpoint.lifecycle?.notice(at: now)
        input = definition.input.properties.map(Self.row)
        output = definition.output.properties.map(Self.row)
        let example = definition.examples.first?.input
        form = definition.input.properties.map { Self.control($0, example: example?[$0.name]) }
        examples = definition.examples.map { ExampleView(input: CanonicalJSON.render($0.input), output: CanonicalJSON.render($0.output)) }
        chain = definition.models.map { step in
            var details: [String] = []
            if let timeout = step.timeoutMs { details.append("timeout \(Self.duration(timeout))") }
            if let retries = step.retries { details.append(Self.counted(retries, "retry", "retries")) }
            let members = endpoint.chain.steps.first { $0.model == step.model }?.pool?.members.map(\.model)
            if let members { details.append("pool of " + members.joined(separator: ", ")) }
            let health = ModelHealth(model: step.model, breakers: breakers)
            return ChainRow(model: step.model, state: health.state, stateClass: health.stateClass, details: details.isEmpty ? nil : details.joined(separator: ", "))
        }
        let policy = definition.fallback
        let on = Set(policy.on).count == FailureClass.allCases.count ? "every failure class" : policy.on.map(\.rawValue).joined(separator: ", ")
        fallback = "on \(on); \(Self.counted(policy.retries, "retry", "retries")) per model; timeout \(Self.duration(policy.timeoutMs)) per call; deadline \(Self.duration(policy.deadlineMs))"
            + (policy.firstTokenTimeoutMs.map { "; first token within \(Self.duration($0)) when streaming" } ?? "")
        let body = CanonicalJSON.render(example ?? [:], pretty: false)
        curl = "curl -s \(baseURL)\(definition.path) \\\n  -H 'content-type: application/json' \\\n  -H 'authorization: Bearer YOUR_KEY' \\\n  -d '\(body.replacingOccurrences(of: "'", with: "'\\''"))'"
        python = """
            import json, urllib.request

            body = r\"\"\"\(body)\"\"\"
            request = urllib.request.Request(
                "\(baseURL)\(definition.path)",
                data=body.encode(),
                headers={"content-type": "application/json", "authorization": "Bearer YOUR_KEY"},
            )
            with urllib.request.urlopen(request) as answer:
                print(answer.headers["x-promptc-model"], json.load(answer))
            """
        let type = SwiftNames.typeName(definition.name)
        swift = """
            import Foundation
            // \(type) is in Generated/Endpoints.swift (promptc compile).
            let input = try JSONDecoder().decode(\(type).Input.self, from: Data(#"\(body)"#.utf8))
            var request = URLRequest(url: URL(string: "\(baseURL)" + \(type).path)!)
            request.httpMethod = \(type).method
            request.setValue("application/json", forHTTPHeaderField: "content-type")
            request.setValue("Bearer YOUR_KEY", forHTTPHeaderField: "authorization")
            request.httpBody = try JSONEncoder().encode(input)
            let (data, _) = try await URLSession.shared.data(for: request)
            let output = try JSONDecoder().decode(\(type).Output.self, from: data)
            """
    }

    static func row(_ property: FieldSchema.Property) -> FieldRow {
        let schema = property.schema
        return FieldRow(
            name: property.name, type: typeText(schema), required: property.isRequired ? "yes" : "no",
            constraints: constraints(schema).joined(separator: "; "),
            defaultValue: schema.defaultValue.map { CanonicalJSON.render($0, pretty: false) }, description: schema.description ?? "")
    }

    static func typeText(_ schema: FieldSchema) -> String {
        if schema.type == .array, let items = schema.items { return "array of \(typeText(items))" }
        return schema.type.rawValue
    }

    static func constraints(_ schema: FieldSchema) -> [String] {
        var parts: [String] = []
        if let values = schema.enumValues { parts.append("one of " + values.map { CanonicalJSON.render($0, pretty: false) }.joined(separator: ", ")) }
        if let minimum = schema.minLength { parts.append("at least \(counted(minimum, "character"))") }
        if let maximum = schema.maxLength { parts.append("at most \(counted(maximum, "character"))") }
        if let pattern = schema.pattern { parts.append("matches \(pattern)") }
        if let format = schema.format { parts.append("format \(format.rawValue)") }
        if let minimum = schema.minimum { parts.append("≥ \(number(minimum))") }
        if let maximum = schema.maximum { parts.append("≤ \(number(maximum))") }
        if let minimum = schema.minItems { parts.append("at least \(counted(minimum, "item"))") }
        if let maximum = schema.maxItems { parts.append("at most \(counted(maximum, "item"))") }
        if schema.type == .array, let items = schema.items { parts += constraints(items).map { "each: \($0)" } }
        if schema.type == .object { parts.append("fields " + schema.properties.map(\.name).joined(separator: ", ")) }
        return parts
    }

    /// The control for one input field, filled with the first example's value, else the default.
    static func control(_ property: FieldSchema.Property, example: JSONValue?) -> FormField {
        let schema = property.schema
        let value = example ?? schema.defaultValue
        var field = FormField(
            name: property.name, required: property.isRequired, description: schema.description, kind: schema.type.rawValue, value: "")
        if let options = schema.enumValues, [.string, .integer, .number].contains(schema.type) {
            field.isSelect = true
            field.options = options.map { option in .init(value: text(option), selected: value == option) }
            return field
        }
        switch schema.type {
        case .string:
            field.value = value.map(text) ?? ""
            // A text area where a string may be long.
            if (schema.maxLength ?? .max) > 120 { field.isTextarea = true } else { field.isText = true }
        case .integer, .number:
            field.isNumber = true
            field.value = value.map(text) ?? ""
        case .boolean:
            field.isCheckbox = true
            field.checked = value == .bool(true)
        case .array, .object:
            field.isJSON = true
            field.kind = "json"
            field.value = value.map { CanonicalJSON.render($0) } ?? ""
        }
        return field
    }

    private static func counted(_ count: Int, _ noun: String, _ plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }

    private static func text(_ value: JSONValue) -> String {
        if case .string(let string) = value { return string }
        return CanonicalJSON.render(value, pretty: false)
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func duration(_ milliseconds: Int) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
