import EndpointModel
import Hummingbird

/// `GET /admin/upstreams`, behind the admin key (`admin_key_sha256` in promptc.yaml, sent as
/// `Authorization: Bearer KEY` or `x-api-key: KEY`): per model, its circuit, calls in flight,
/// and the outcomes and latency of its recent calls.
struct AdminRoutes {
    let gateway: Gateway

    /// The paths served here, with their methods, for `RouteGuardMiddleware`.
    static let methods: [String: [String]] = ["/admin/upstreams": ["GET"]]

    func add(to router: Router<GatewayRequestContext>) {
        let cores = gateway.cores
        let upstreams = gateway.foundation.upstreams
        router.get("/admin/upstreams") { request, context in
            let core = cores.core(for: context)
            try Self.authorize(request, adminKey: core.adminKey)
            let models = Self.modelsByEndpoint(core.endpoints)
            let breakers = core.runtime.breakers
            let now = ContinuousClock.now
            let entries: [JSONValue] = models.map { model, endpoints in
                let summary = upstreams.summary(of: model, now: now)
                var entry: [String: JSONValue] = [
                    "model": .string(model), "endpoints": .array(endpoints.map(JSONValue.string)),
                    "in_flight": .integer(summary.inFlight), "recent_calls": .integer(summary.recentCalls),
                    "recent_failures": .integer(summary.recentFailures),
                ]
                switch breakers.state(of: model) {
                case .closed(let failures):
                    entry["circuit"] = "closed"
                    entry["consecutive_failures"] = .integer(failures)
                case .open(let until):
                    entry["circuit"] = "open"
                    entry["half_open_in_ms"] = .integer(max(0, (until - now).milliseconds))
                case .halfOpen:
                    entry["circuit"] = "half_open"
                }
                if let last = summary.lastFailure {
                    entry["last_failure"] = ["outcome": .string(last.outcome), "seconds_ago": .integer(last.secondsAgo)]
                }
                if let p50 = summary.p50Ms { entry["p50_ms"] = .integer(p50) }
                if let p95 = summary.p95Ms { entry["p95_ms"] = .integer(p95) }
                return .object(entry)
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .json(["upstreams": .array(entries)]))
        }
    }

    /// Every model a chain can call (pool members included), with the endpoints that call it.
    private static func modelsByEndpoint(_ served: [ServedEndpoint]) -> [(model: String, endpoints: [String])] {
        var endpoints: [String: [String]] = [:]
        for endpoint in served {
            for step in endpoint.chain.steps {
                for model in step.pool?.members.map(\.model) ?? [step.model] where !(endpoints[model]?.contains(endpoint.name) ?? false) {
                    endpoints[model, default: []].append(endpoint.name)
                }
            }
        }
        return endpoints.keys.sorted().map { ($0, endpoints[$0] ?? []) }
    }

    private static func authorize(_ request: Request, adminKey: AdminKey) throws {
        guard adminKey.isConfigured else {
            throw GatewayError(status: .forbidden, type: "forbidden", message: "the admin routes are off: set admin_key_sha256 in promptc.yaml")
        }
        guard adminKey.admits(ConsumerStage.presentedKey(request.headers)) else {
            throw ConsumerStage.unauthorized("the admin routes need the admin key")
        }
    }
}
