import EndpointModel

/// Each rule of gateway-contract.md's "promptc diff", decided in one place. A rule looks at one
/// pair of old and new values and says what changed; `ContractDiff` walks the endpoints and
/// their schemas and asks every rule that applies.
enum ContractRules {
    /// Where a comparison happens: the endpoint, the pointer into its routes.json entry, and
    /// which side of the contract the schema is on.
    struct Place {
        var endpoint: String
        var pointer: String
        var side: ContractSide

        func change(_ kind: ContractChange.Kind, _ rule: ContractRule, _ reason: String, at suffix: String = "") -> ContractChange {
            ContractChange(endpoint: endpoint, pointer: pointer + suffix, kind: kind, rule: rule, reason: reason)
        }

        func child(_ name: String) -> Place {
            Place(endpoint: endpoint, pointer: pointer + "/properties/" + JSONPointer.escape(name), side: side)
        }
    }

    // MARK: - endpoints

    /// A new endpoint breaks nobody.
    static func endpointAdded(_ endpoint: EndpointDefinition) -> ContractChange {
        ContractChange(endpoint: endpoint.name, pointer: "", kind: .compatible, rule: .endpointAdded,
                       reason: "new endpoint \(endpoint.method) \(endpoint.path)")
    }

    /// Removing an endpoint breaks its callers, unless it was already gone: retired, or past
    /// its sunset on `today` (a `YYYY-MM-DD` day).
    static func endpointRemoved(_ endpoint: EndpointDefinition, today: String) -> ContractChange {
        let lifecycle = endpoint.lifecycle
        let sunsetPassed = lifecycle?.sunset.map { $0 <= today } ?? false
        if lifecycle?.retired == true || sunsetPassed {
            return ContractChange(endpoint: endpoint.name, pointer: "", kind: .compatible, rule: .endpointRemoved,
                                  reason: "endpoint removed after it was \(sunsetPassed ? "sunset on \(lifecycle?.sunset ?? "")" : "retired")")
        }
        let when = lifecycle?.sunset.map { " before its sunset (\($0))" } ?? " without a sunset"
        return ContractChange(endpoint: endpoint.name, pointer: "", kind: .breaking, rule: .endpointRemoved,
                              reason: "endpoint \(endpoint.method) \(endpoint.path) removed\(when)")
    }

    /// Clients call a method and a path: moving either breaks them.
    static func routeChanged(_ old: EndpointDefinition, _ new: EndpointDefinition) -> ContractChange? {
        guard old.method != new.method || old.path != new.path else { return nil }
        return ContractChange(endpoint: new.name, pointer: old.method != new.method ? "/method" : "/path", kind: .breaking, rule: .routeChanged,
                              reason: "route changed from \(old.method) \(old.path) to \(new.method) \(new.path)")
    }

    /// A new version is how a breaking change is made; it is listed, and it excuses the
    /// breaking changes of its endpoint in `compile --check`.
    static func versionChanged(_ old: EndpointDefinition, _ new: EndpointDefinition) -> ContractChange? {
        guard old.version != new.version else { return nil }
        return ContractChange(endpoint: new.name, pointer: "/version", kind: .compatible, rule: .versionChanged,
                              reason: "version changed from \(old.version) to \(new.version)")
    }

    // MARK: - fields

    /// A new input field breaks callers only when it is required; a new output field breaks none.
    static func fieldAdded(_ property: FieldSchema.Property, at place: Place) -> ContractChange {
        let side = place.side
        if side == .input && property.isRequired {
            return place.change(.breaking, .fieldAdded, "new required input field '\(property.name)'")
        }
        return place.change(.compatible, .fieldAdded, "new \(side == .input ? "optional input" : "output") field '\(property.name)'")
    }

    /// A removed input field is refused when a caller still sends it (objects are closed); a
    /// removed output field is missing for a caller that reads it.
    static func fieldRemoved(_ property: FieldSchema.Property, at place: Place) -> ContractChange {
        place.change(.breaking, .fieldRemoved, "\(place.side.rawValue) field '\(property.name)' removed")
    }

    /// Input made required is narrower; output made optional is looser.
    static func requiredChanged(_ old: FieldSchema.Property, _ new: FieldSchema.Property, at place: Place) -> ContractChange? {
        guard old.isRequired != new.isRequired else { return nil }
        let narrowed = new.isRequired
        return place.change(place.side.kind(narrowed: narrowed), .requiredChanged,
                            "\(place.side.rawValue) field '\(new.name)' made \(narrowed ? "required" : "optional")")
    }

    /// A value of the old type is not one of the new type, either way.
    static func typeChanged(_ old: FieldSchema, _ new: FieldSchema, at place: Place) -> ContractChange? {
        guard old.type != new.type else { return nil }
        return place.change(.breaking, .typeChanged, "type changed from \(old.type.rawValue) to \(new.type.rawValue)", at: "/type")
    }

    // MARK: - constraints

    /// Enum values removed narrow the field; values added loosen it (or a new enum narrows it
    /// from anything to a list, and a dropped enum loosens it to anything).
    static func enumChanged(_ old: FieldSchema, _ new: FieldSchema, at place: Place) -> [ContractChange] {
        switch (old.enumValues, new.enumValues) {
        case (nil, nil):
            return []
        case (nil, .some):
            return [place.change(place.side.kind(narrowed: true), .enumChanged, "enum added: only \(list(new.enumValues ?? [])) allowed", at: "/enum")]
        case (.some, nil):
            return [place.change(place.side.kind(narrowed: false), .enumChanged, "enum removed: any value allowed", at: "/enum")]
        case (.some(let oldValues), .some(let newValues)):
            var changes: [ContractChange] = []
            let removed = oldValues.filter { !newValues.contains($0) }
            let added = newValues.filter { !oldValues.contains($0) }
            if !removed.isEmpty { changes.append(place.change(place.side.kind(narrowed: true), .enumChanged, "enum value\(removed.count == 1 ? "" : "s") \(list(removed)) removed", at: "/enum")) }
            if !added.isEmpty { changes.append(place.change(place.side.kind(narrowed: false), .enumChanged, "enum value\(added.count == 1 ? "" : "s") \(list(added)) added", at: "/enum")) }
            return changes
        }
    }

    /// Lower bounds (`minLength`, `minimum`, `minItems`) narrow as they grow; upper bounds
    /// (`maxLength`, `maximum`, `maxItems`) as they shrink. A new bound narrows, a dropped one loosens.
    static func boundsChanged(_ old: FieldSchema, _ new: FieldSchema, at place: Place) -> [ContractChange] {
        let bounds: [(keyword: String, isUpper: Bool, old: Double?, new: Double?)] = [
            ("minLength", false, old.minLength.map(Double.init), new.minLength.map(Double.init)),
            ("maxLength", true, old.maxLength.map(Double.init), new.maxLength.map(Double.init)),
            ("minimum", false, old.minimum, new.minimum),
            ("maximum", true, old.maximum, new.maximum),
            ("minItems", false, old.minItems.map(Double.init), new.minItems.map(Double.init)),
            ("maxItems", true, old.maxItems.map(Double.init), new.maxItems.map(Double.init)),
        ]
        return bounds.compactMap { bound in
            let narrowed: Bool
            switch (bound.old, bound.new) {
            case (nil, nil): return nil
            case (nil, .some): narrowed = true
            case (.some, nil): narrowed = false
            case (.some(let before), .some(let after)):
                guard before != after else { return nil }
                narrowed = bound.isUpper ? after < before : after > before
            }
            let reason = "\(bound.keyword) \(describe(bound.old)) → \(describe(bound.new)) (\(narrowed ? "narrowed" : "loosened"))"
            return place.change(place.side.kind(narrowed: narrowed), .boundChanged, reason, at: "/" + bound.keyword)
        }
    }

    /// A pattern cannot be compared with another: any new or changed pattern may refuse what
    /// the old one took, so it counts as narrowed; a dropped one loosens.
    static func patternChanged(_ old: FieldSchema, _ new: FieldSchema, at place: Place) -> ContractChange? {
        textConstraint("pattern", old.pattern, new.pattern, rule: .patternChanged, at: place)
    }

    /// The same for `format`.
    static func formatChanged(_ old: FieldSchema, _ new: FieldSchema, at place: Place) -> ContractChange? {
        textConstraint("format", old.format?.rawValue, new.format?.rawValue, rule: .formatChanged, at: place)
    }

    /// A dropped input default makes callers that left the field out send something else (or
    /// be refused); a new or changed default is listed as compatible. Output defaults mean nothing.
    static func defaultChanged(_ old: FieldSchema, _ new: FieldSchema, at place: Place) -> ContractChange? {
        guard place.side == .input, old.defaultValue != new.defaultValue else { return nil }
        switch (old.defaultValue, new.defaultValue) {
        case (.some(let value), nil):
            return place.change(.breaking, .defaultChanged, "default \(compact(value)) removed", at: "/default")
        case (nil, .some(let value)):
            return place.change(.compatible, .defaultChanged, "default \(compact(value)) added", at: "/default")
        default:
            return place.change(.compatible, .defaultChanged,
                                "default changed from \(old.defaultValue.map(compact) ?? "") to \(new.defaultValue.map(compact) ?? "")", at: "/default")
        }
    }

    static func descriptionChanged(_ old: FieldSchema, _ new: FieldSchema, at place: Place) -> ContractChange? {
        guard old.description != new.description else { return nil }
        return place.change(.compatible, .descriptionChanged, "description changed", at: "/description")
    }

    // MARK: - what clients do not see

    /// The prompt, the model chain and the policies change answers, not the contract: listed
    /// as compatible so that a reviewer sees them.
    static func behaviourChanges(_ old: EndpointDefinition, _ new: EndpointDefinition) -> [ContractChange] {
        var changes: [ContractChange] = []
        func note(_ differs: Bool, _ rule: ContractRule, _ pointer: String, _ reason: String) {
            if differs { changes.append(ContractChange(endpoint: new.name, pointer: pointer, kind: .compatible, rule: rule, reason: reason)) }
        }
        note(old.description != new.description, .descriptionChanged, "/description", "description changed")
        note(old.prompt != new.prompt, .promptChanged, "/prompt", "prompt changed")
        note(old.models != new.models, .modelsChanged, "/models",
             "model chain changed from \(old.models.map(\.model).joined(separator: ", ")) to \(new.models.map(\.model).joined(separator: ", "))")
        note(old.parameters != new.parameters, .policyChanged, "/parameters", "parameters changed")
        note(old.fallback != new.fallback, .policyChanged, "/fallback", "fallback policy changed")
        note(old.cache != new.cache, .policyChanged, "/cache", "cache policy changed")
        note(old.lifecycle != new.lifecycle, .lifecycleChanged, "/lifecycle", lifecycleReason(new.lifecycle))
        return changes
    }

    // MARK: - helpers

    private static func textConstraint(_ keyword: String, _ old: String?, _ new: String?, rule: ContractRule, at place: Place) -> ContractChange? {
        guard old != new else { return nil }
        let narrowed = new != nil
        let reason = switch (old, new) {
        case (nil, .some(let value)): "new \(keyword) '\(value)'"
        case (.some(let value), nil): "\(keyword) '\(value)' removed"
        default: "\(keyword) changed from '\(old ?? "")' to '\(new ?? "")'"
        }
        return place.change(place.side.kind(narrowed: narrowed), rule, reason, at: "/" + keyword)
    }

    private static func lifecycleReason(_ lifecycle: Lifecycle?) -> String {
        guard let lifecycle else { return "lifecycle removed" }
        var parts: [String] = []
        if let deprecated = lifecycle.deprecated { parts.append("deprecated from \(deprecated)") }
        if let sunset = lifecycle.sunset { parts.append("sunset on \(sunset)") }
        if let successor = lifecycle.successor { parts.append("successor \(successor)") }
        if lifecycle.retired { parts.append("retired") }
        return "lifecycle changed" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }

    private static func list(_ values: [JSONValue]) -> String {
        values.map(compact).joined(separator: ", ")
    }

    private static func compact(_ value: JSONValue) -> String {
        CanonicalJSON.render(value, pretty: false)
    }

    private static func describe(_ value: Double?) -> String {
        guard let value else { return "none" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
