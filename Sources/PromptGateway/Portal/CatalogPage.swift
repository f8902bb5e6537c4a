import EndpointModel

/// `GET /portal`: every endpoint with its route, description, version, lifecycle state and the
/// health of its chain.
struct CatalogPage {
    struct Row {
        var name: String
        var method: String
        var path: String
        var description: String
        var version: Int
        var state: String
        var stateClass: String
        var notice: String?
        var models: [ModelHealth]
    }

    var count: Int
    var endpoints: [Row]

    init(endpoints: [ServedEndpoint], breakers: CircuitBreakerRegistry, now: Int64) {
        count = endpoints.count
        self.endpoints = endpoints.map { endpoint in
            let state = LifecycleState(endpoint.lifecycle, now: now)
            return Row(
                name: endpoint.name, method: endpoint.definition.method, path: endpoint.definition.path,
                description: endpoint.definition.description, version: endpoint.definition.version,
                state: state.label, stateClass: state.cssClass, notice: endpoint.lifecycle?.notice(at: now),
                models: endpoint.chain.models.map { ModelHealth(model: $0, breakers: breakers) })
        }
    }
}

/// A model's circuit, as the portal shows it.
struct ModelHealth {
    var model: String
    /// `closed`, `open` or `half_open`.
    var state: String
    /// The same, for CSS; stored, as templates see only stored properties.
    var stateClass: String

    init(model: String, breakers: CircuitBreakerRegistry) {
        self.model = model
        switch breakers.state(of: model) {
        case .closed: state = "closed"
        case .open: state = "open"
        case .halfOpen: state = "half_open"
        }
        stateClass = state
    }
}

/// Where an endpoint is in its lifecycle: `active`, `deprecated`, `sunset` or `retired`.
struct LifecycleState {
    var label: String
    var cssClass: String

    init(_ lifecycle: EndpointLifecycle?, now: Int64) {
        guard let lifecycle else {
            (label, cssClass) = ("active", "active")
            return
        }
        if lifecycle.retired {
            (label, cssClass) = ("retired", "gone")
        } else if lifecycle.isGone(at: now) {
            (label, cssClass) = ("sunset", "gone")
        } else if lifecycle.isDeprecated(at: now) {
            (label, cssClass) = ("deprecated", "deprecated")
        } else {
            (label, cssClass) = ("active", "active")
        }
    }
}
