import EndpointModel

/// `promptc diff`'s comparison of two route tables: endpoints matched by name, then their
/// routes, versions and input and output schemas field by field, each pair judged by
/// `ContractRules`.
public enum ContractDiff {
    /// Every change from `old` to `new`, in endpoint order and then in the order found.
    /// `today` (`YYYY-MM-DD`, UTC) decides whether a removed endpoint was past its sunset.
    public static func changes(from old: RouteTable, to new: RouteTable, today: String) -> [ContractChange] {
        let oldByName = Dictionary(old.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newByName = Dictionary(new.endpoints.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var changes: [ContractChange] = []
        for name in Set(oldByName.keys).union(newByName.keys).sorted() {
            switch (oldByName[name], newByName[name]) {
            case (let before?, let after?): changes += endpointChanges(before, after)
            case (let before?, nil): changes.append(ContractRules.endpointRemoved(before, today: today))
            case (nil, let after?): changes.append(ContractRules.endpointAdded(after))
            case (nil, nil): break
            }
        }
        return changes
    }

    /// The breaking changes that `compile --check` refuses: those of an endpoint whose version
    /// did not change (a removed endpoint has no new version).
    public static func unversionedBreaking(_ changes: [ContractChange]) -> [ContractChange] {
        let versioned = Set(changes.filter { $0.rule == .versionChanged }.map(\.endpoint))
        return changes.filter { $0.isBreaking && !versioned.contains($0.endpoint) }
    }

    static func endpointChanges(_ old: EndpointDefinition, _ new: EndpointDefinition) -> [ContractChange] {
        var changes: [ContractChange] = []
        if let change = ContractRules.versionChanged(old, new) { changes.append(change) }
        if let change = ContractRules.routeChanged(old, new) { changes.append(change) }
        changes += fieldChanges(old.input, new.input, at: .init(endpoint: new.name, pointer: "/input", side: .input))
        changes += fieldChanges(old.output, new.output, at: .init(endpoint: new.name, pointer: "/output", side: .output))
        changes += ContractRules.behaviourChanges(old, new)
        return changes
    }

    /// One field's schema in both versions, and what is below it.
    static func fieldChanges(_ old: FieldSchema, _ new: FieldSchema, at place: ContractRules.Place) -> [ContractChange] {
        if let change = ContractRules.typeChanged(old, new, at: place) { return [change] }
        var changes: [ContractChange] = []
        changes += ContractRules.enumChanged(old, new, at: place)
        changes += ContractRules.boundsChanged(old, new, at: place)
        changes += [
            ContractRules.patternChanged(old, new, at: place), ContractRules.formatChanged(old, new, at: place),
            ContractRules.defaultChanged(old, new, at: place), ContractRules.descriptionChanged(old, new, at: place),
        ].compactMap { $0 }
        if let oldItems = old.items, let newItems = new.items {
            changes += fieldChanges(oldItems, newItems, at: .init(endpoint: place.endpoint, pointer: place.pointer + "/items", side: place.side))
        }
        guard old.type == .object else { return changes }
        for property in old.properties {
            let child = place.child(property.name)
            guard let counterpart = new.property(named: property.name) else {
                changes.append(ContractRules.fieldRemoved(property, at: child))
                continue
            }
            if let change = ContractRules.requiredChanged(property, counterpart, at: child) { changes.append(change) }
            changes += fieldChanges(property.schema, counterpart.schema, at: child)
        }
        for property in new.properties where old.property(named: property.name) == nil {
            changes.append(ContractRules.fieldAdded(property, at: place.child(property.name)))
        }
        return changes
    }
}
