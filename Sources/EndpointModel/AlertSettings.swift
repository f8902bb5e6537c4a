/// `alerts:` in promptc.yaml (gateway-contract.md, Alerts): where alerts go, and when the
/// fallback rate and repeats count.
public struct AlertSettings: Sendable, Hashable {
    /// What an alert is about.
    public enum Event: String, Sendable, Hashable, CaseIterable {
        case circuitOpen = "circuit_open"
        case circuitClosed = "circuit_closed"
        case chainExhausted = "chain_exhausted"
        case fallbackRate = "fallback_rate"
        case budget
        case storeDown = "store_down"
    }

    /// One receiver: a URL that gets a JSON POST per alert, signed with the secret in
    /// `secretEnv` (HMAC-SHA256 of the body, in `x-promptc-signature`).
    public struct Webhook: Sendable, Hashable {
        public var url: String
        /// The environment variable that holds the signing secret; nil sends unsigned alerts.
        public var secretEnv: String?
        public var events: Set<Event>

        public init(url: String, secretEnv: String?, events: Set<Event> = Set(Event.allCases)) {
            self.url = url
            self.secretEnv = secretEnv
            self.events = events
        }
    }

    public var webhooks: [Webhook] = []
    /// `fallback_rate: { above, over }`: an endpoint whose answers fell back more often than
    /// `above` (a fraction) over the last `overMs`.
    public var fallbackRateAbove: Double = 0.2
    public var fallbackRateOverMs: Int = 300_000
    /// The same alert (event and subject) is not sent again within this.
    public var repeatAfterMs: Int = 600_000

    public init() {}
}
