import EndpointModel
import SpecFrontEnd

/// Checks across spec files: names, routes and generated Swift type names must be unique
/// (each diagnostic names both files), and a lifecycle's successor must be an endpoint.
enum ProjectChecker {
    static func check(_ specs: [SpecChecker.Result], into diagnostics: inout DiagnosticCollector) {
        var names: [String: SpecChecker.Result] = [:]
        var routes: [String: SpecChecker.Result] = [:]
        var typeNames: [String: SpecChecker.Result] = [:]
        for spec in specs {
            guard let definition = spec.definition else { continue }
            if let first = names[definition.name], let firstDefinition = first.definition {
                diagnostics.emit(
                    .duplicateName, "endpoint name '\(definition.name)' is already used by \(firstDefinition.source)",
                    at: spec.nameSpan ?? SourceSpan(start: .file(definition.source)),
                    hint: "names are unique across the spec folder", related: first.nameSpan.map { [$0.start] } ?? [])
                continue
            }
            names[definition.name] = spec
            let route = "\(definition.method) \(definition.path)"
            if let first = routes[route], let firstDefinition = first.definition {
                diagnostics.emit(
                    .routeConflict, "route '\(route)' is already served by '\(firstDefinition.name)' in \(firstDefinition.source)",
                    at: spec.routeSpan ?? SourceSpan(start: .file(definition.source)),
                    hint: "give one of them another 'route:'", related: first.routeSpan.map { [$0.start] } ?? [])
            } else {
                routes[route] = spec
            }
            let typeName = SwiftNames.typeName(definition.name)
            if let first = typeNames[typeName], let firstDefinition = first.definition {
                diagnostics.emit(
                    .typeNameCollision,
                    "endpoints '\(firstDefinition.name)' (\(firstDefinition.source)) and '\(definition.name)' would both be the Swift type '\(typeName)'",
                    at: spec.nameSpan ?? SourceSpan(start: .file(definition.source)),
                    hint: "rename one so they differ in more than '-' and '_'", related: first.nameSpan.map { [$0.start] } ?? [])
            } else {
                typeNames[typeName] = spec
            }
        }
        // Names of specs with errors count too: their own diagnostics say what is wrong.
        let known = specs.compactMap(\.name)
        for spec in specs {
            guard let definition = spec.definition, let successor = definition.lifecycle?.successor, !known.contains(successor) else { continue }
            diagnostics.emit(
                .unknownSuccessor, "'lifecycle.successor' names '\(successor)', which is not an endpoint\(Suggestion.didYouMean(successor, in: known))",
                at: spec.successorSpan ?? SourceSpan(start: .file(definition.source)),
                hint: "name the spec callers should move to; endpoints are \(known.sorted().joined(separator: ", "))")
        }
    }
}
