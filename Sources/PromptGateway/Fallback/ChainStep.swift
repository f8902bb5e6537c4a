import EndpointModel
import Synchronization

/// One step of an endpoint's chain, resolved when routes load: the provider it calls, how,
/// and with which key. The key is read once from the variable the configuration names.
struct ChainStep: Sendable {
    /// `provider/model`, as it appears in headers, attempts and metrics.
    var model: String
    /// The model's name at its provider.
    var modelName: String
    var provider: ProviderDefinition
    var apiKey: String?
    var timeoutMs: Int?
    var retries: Int?
    var parameters: ModelParameters
    /// The wire format and the request template, made on the step's first call; nil for the
    /// mock provider, and for a provider with no `base_url`, whose calls fail as `connection`.
    var wire: LazyWire?
    /// Set when the step is `pool/NAME`: each attempt goes to one of its members.
    var pool: Pool?
    /// The step's index in its chain (a pool member's: its pool's), which `promptc drill`'s
    /// faults name.
    var position = 0
    /// This model's recent latency on this endpoint (`hedge_after: p95`, `lowest_latency`).
    var latency = LatencyWindow()

    /// False when the provider needs a key and its variable is unset (for a pool: every
    /// member's): the step is skipped.
    var isConfigured: Bool { pool?.isConfigured ?? (provider.apiKeyEnv == nil || apiKey != nil) }
}

/// A chain step's adapter and request template, made once on first use. Made when routes load,
/// templates for 1,000 endpoints took a sixth of start-up; most steps after the first are
/// rarely called at all.
final class LazyWire: Sendable {
    private let adapter: any ProviderAdapter
    private let make: @Sendable () -> RequestTemplate
    private let template = Mutex<RequestTemplate?>(nil)
    private let streamingTemplate = Mutex<RequestTemplate?>(nil)

    init(adapter: any ProviderAdapter, make: @escaping @Sendable () -> RequestTemplate) {
        self.adapter = adapter
        self.make = make
    }

    var value: (adapter: any ProviderAdapter, template: RequestTemplate) {
        let template = template.withLock { template in
            if let template { return template }
            let made = make()
            template = made
            return made
        }
        return (adapter, template)
    }

    /// The adapter and the template of the same request, streamed.
    var streaming: (adapter: any ProviderAdapter, template: RequestTemplate) {
        let plain = value.template
        let template = streamingTemplate.withLock { template in
            if let template { return template }
            let made = adapter.streaming(plain)
            template = made
            return made
        }
        return (adapter, template)
    }
}
