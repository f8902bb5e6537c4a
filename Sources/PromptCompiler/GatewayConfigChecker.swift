import Foundation
import EndpointModel
import SpecFrontEnd

/// Reads `promptc.yaml`: the providers and pools a spec may name, and the gateway's own
/// settings (circuit breaker, body limit, host, port). The production sections (consumers,
/// usage, pricing) are accepted here and read by the gateway features that use them.
struct GatewayConfigChecker {
    static let topLevelKeys = [
        "providers", "pools", "consumers", "admin_key_sha256", "usage", "shared", "pricing", "cache_max_bytes",
        "circuit_breaker", "max_body_bytes", "host", "port", "limits", "upstream", "model_groups", "portal", "cors", "alerts",
        "hedge_budget", "trusted_proxies",
    ]
    static let modelGroupKeys = ["models", "fallback"]
    static let limitKeys = ["max_connections", "client_timeout", "idle_timeout", "max_error_details"]
    static let upstreamKeys = ["max_connections_per_host", "connect_timeout"]
    static let providerKeys = ["api", "base_url", "api_key_env"]
    static let poolKeys = ["strategy", "members", "hash_by"]
    static let poolStrategies = ["round_robin", "least_busy", "weighted", "hash", "lowest_latency"]
    static let memberKeys = ["model", "weight"]
    /// Weighted round robin adds weights up on every call; this bound keeps the sums far from overflow.
    static let maximumWeight = 1_000_000
    static let circuitBreakerKeys = ["failures", "open_for"]
    static let consumerKeys = ["name", "key_sha256", "endpoints", "rate_limit", "tokens_per_minute", "budget"]

    var reader = SpecReader()
    var settings = GatewaySettings()
    /// Endpoint names in consumers' allow-lists, with where they stand, for the check against the specs.
    var consumerEndpoints: [(name: String, span: SourceSpan)] = []

    mutating func check(_ root: SpecNode) -> ProviderCatalog {
        var catalog = ProviderCatalog.builtIn
        guard let entries = root.entries else {
            reader.diagnostics.emit(.documentNotMapping, "promptc.yaml must be a YAML map, not \(root.kindDescription)", at: root.span)
            return catalog
        }
        checkSettings(root)
        if let consumers = root["consumers"] { checkConsumers(consumers) }
        if let pricing = root["pricing"] { checkPricing(pricing) }
        if let usage = root["usage"], let fields = reader.entries(usage, "'usage'") {
            reader.checkKeys(fields, allowed: ["database", "journal"], code: .unknownConfigKey, in: "usage")
            if let node = usage["database"] { settings.usageDatabase = database(node, "'usage.database'", postgresOnly: false) }
            if let node = usage["journal"] { checkJournal(node) }
        }
        if let shared = root["shared"], let fields = reader.entries(shared, "'shared'") {
            reader.checkKeys(fields, allowed: ["database"], code: .unknownConfigKey, in: "shared")
            if let node = shared["database"] { settings.sharedDatabase = database(node, "'shared.database'", postgresOnly: true) }
        }
        if let node = root["admin_key_sha256"], let hash = sha256Hex(node, "'admin_key_sha256'") { settings.adminKeySHA256 = hash }
        if let node = root["portal"], let portal = reader.bool(node, "'portal'") { settings.portal = portal }
        if let cors = root["cors"] { checkCORS(cors) }
        if let alerts = root["alerts"] { checkAlerts(alerts) }
        for entry in entries where !Self.topLevelKeys.contains(entry.key) {
            reader.diagnostics.emit(
                .unknownConfigKey, "unknown key '\(entry.key)' in promptc.yaml\(Suggestion.didYouMean(entry.key, in: Self.topLevelKeys))",
                at: entry.keySpan, hint: "keys are \(Self.topLevelKeys.joined(separator: ", "))")
        }
        if let providers = root["providers"], let providerEntries = reader.entries(providers, "'providers'") {
            for entry in providerEntries where checkProvider(entry) {
                catalog.providers.insert(entry.key)
            }
        }
        if let pools = root["pools"], let poolEntries = reader.entries(pools, "'pools'") {
            for entry in poolEntries {
                checkPool(entry, catalog: catalog)
                catalog.pools.insert(entry.key)
            }
        }
        if let groups = root["model_groups"], let groupEntries = reader.entries(groups, "'model_groups'") {
            for entry in groupEntries { checkModelGroup(entry, catalog: catalog) }
        }
        return catalog
    }

    /// `alerts:`: webhooks (an http(s) URL, the variable of its secret, the events it wants),
    /// `fallback_rate: { above, over }` and `repeat_after`.
    private mutating func checkAlerts(_ node: SpecNode) {
        guard let fields = reader.entries(node, "'alerts'") else { return }
        reader.checkKeys(fields, allowed: ["webhooks", "fallback_rate", "repeat_after"], code: .unknownConfigKey, in: "alerts")
        if let hooks = node["webhooks"], let items = reader.items(hooks, "'alerts.webhooks'") {
            for item in items {
                guard let entries = reader.entries(item, "a webhook") else { continue }
                reader.checkKeys(entries, allowed: ["url", "secret_env", "events"], code: .unknownConfigKey, in: "a webhook")
                guard let urlNode = item["url"], let url = reader.string(urlNode, "a webhook's 'url'") else {
                    if item["url"] == nil { reader.diagnostics.emit(.invalidConfigValue, "a webhook needs 'url:'", at: item.span) }
                    continue
                }
                guard let parts = URLComponents(string: url), ["http", "https"].contains(parts.scheme ?? ""), parts.host?.isEmpty == false else {
                    reader.diagnostics.emit(.invalidConfigValue, "webhook url '\(url)' is not an http(s) URL", at: urlNode.span,
                                            hint: "https://hooks.example.com/promptc")
                    continue
                }
                var webhook = AlertSettings.Webhook(url: url, secretEnv: nil)
                if let secretNode = item["secret_env"], let name = reader.string(secretNode, "'secret_env'") {
                    if name.isEmpty || name.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
                        reader.diagnostics.emit(.invalidConfigValue, "'secret_env' must name an environment variable, not '\(name)'",
                                                at: secretNode.span, hint: "PROMPTC_ALERT_SECRET")
                    } else {
                        webhook.secretEnv = name
                    }
                }
                if let eventsNode = item["events"], let eventItems = reader.items(eventsNode, "'events'") {
                    let known = AlertSettings.Event.allCases.map(\.rawValue)
                    webhook.events = Set(eventItems.compactMap { eventNode in
                        guard let name = reader.string(eventNode, "an event") else { return nil }
                        guard let event = AlertSettings.Event(rawValue: name) else {
                            reader.diagnostics.emit(
                                .invalidConfigValue, "unknown alert event '\(name)'\(Suggestion.didYouMean(name, in: known))", at: eventNode.span,
                                hint: "events are \(known.joined(separator: ", "))")
                            return nil
                        }
                        return event
                    })
                }
                settings.alerts.webhooks.append(webhook)
            }
        }
        if let rate = node["fallback_rate"], let entries = reader.entries(rate, "'fallback_rate'") {
            reader.checkKeys(entries, allowed: ["above", "over"], code: .unknownConfigKey, in: "fallback_rate")
            if let aboveNode = rate["above"] {
                if let above = Double(aboveNode.scalar?.text ?? ""), above > 0, above < 1 {
                    settings.alerts.fallbackRateAbove = above
                } else {
                    reader.diagnostics.emit(.invalidConfigValue, "'fallback_rate.above' must be a fraction between 0 and 1, such as 0.2",
                                            at: aboveNode.span)
                }
            }
            if let overNode = rate["over"], let over = reader.duration(overNode, "'fallback_rate.over'") {
                settings.alerts.fallbackRateOverMs = over
            }
        }
        if let repeatNode = node["repeat_after"], let repeatAfter = reader.duration(repeatNode, "'repeat_after'") {
            settings.alerts.repeatAfterMs = repeatAfter
        }
    }

    /// `usage.journal`: a directory, or `false` for none.
    private mutating func checkJournal(_ node: SpecNode) {
        if case .bool(let enabled)? = node.scalar?.kind {
            settings.usageJournalEnabled = enabled
        } else if let path = reader.string(node, "'usage.journal'") {
            if path.isEmpty {
                reader.diagnostics.emit(.invalidConfigValue, "'usage.journal' is empty", at: node.span, hint: "a directory, or false for no journal")
            } else {
                settings.usageJournal = path
            }
        }
    }

    /// A database setting: a file path (unless `postgresOnly`) or a `postgres://` URL that
    /// postgres-nio can use; nil after a diagnostic.
    private mutating func database(_ node: SpecNode, _ what: String, postgresOnly: Bool) -> String? {
        let hint = postgresOnly ? "postgres://user:password@host:5432/database" : "a file path, or postgres://user:pass@host:5432/db"
        guard let database = reader.string(node, what) else { return nil }
        if database.isEmpty {
            reader.diagnostics.emit(.invalidConfigValue, "\(what) is empty", at: node.span, hint: hint)
        } else if !DatabaseURL.isPostgres(database) {
            guard postgresOnly else { return database }
            // Replicas on several machines cannot share a file: only PostgreSQL is shared state.
            reader.diagnostics.emit(.invalidConfigValue, "\(what) must be a postgres:// URL", at: node.span, hint: hint)
        } else if let problem = Self.postgresProblem(database) {
            // Never the URL itself in a message: it may hold a password.
            reader.diagnostics.emit(.invalidConfigValue, "\(what) \(problem)", at: node.span,
                                    hint: "postgres://user:password@host:5432/database?sslmode=verify-full")
        } else {
            return database
        }
        return nil
    }

    /// `cors: { origins: [...] }`: each origin a scheme, host and optional port, nothing more,
    /// as browsers send it in `Origin`.
    private mutating func checkCORS(_ node: SpecNode) {
        guard let fields = reader.entries(node, "'cors'") else { return }
        reader.checkKeys(fields, allowed: ["origins"], code: .unknownConfigKey, in: "cors")
        guard let originsNode = node["origins"], let items = reader.items(originsNode, "'cors.origins'") else { return }
        for item in items {
            guard let origin = reader.string(item, "an origin in 'cors.origins'") else { continue }
            guard Self.isOrigin(origin) else {
                reader.diagnostics.emit(
                    .invalidConfigValue, "'\(origin)' is not an origin: a scheme and host, with a port if any, and no path", at: item.span,
                    hint: "e.g. https://app.example.com or http://localhost:3000")
                continue
            }
            settings.corsOrigins.append(origin)
        }
    }

    static func isOrigin(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty, components.path.isEmpty, components.query == nil, components.fragment == nil,
              components.user == nil, !text.hasSuffix("/") else { return false }
        return true
    }

    /// One entry of `model_groups:`: a name callers send as `model`, a chain checked like a
    /// spec's `models`, and a `fallback` like a spec's.
    private mutating func checkModelGroup(_ entry: SpecNode.Entry, catalog: ProviderCatalog) {
        if entry.key.isEmpty || entry.key.contains("/") || entry.key.contains(where: \.isWhitespace) {
            reader.diagnostics.emit(
                .invalidModelGroup, "model group name '\(entry.key)' may not be empty or contain '/' or spaces", at: entry.keySpan,
                hint: "'/' is how callers name a provider/model or pool/NAME")
            return
        }
        guard let fields = reader.entries(entry.value, "model group '\(entry.key)'") else { return }
        for field in fields where !Self.modelGroupKeys.contains(field.key) {
            reader.diagnostics.emit(
                .invalidModelGroup,
                "unknown key '\(field.key)' in model group '\(entry.key)'\(Suggestion.didYouMean(field.key, in: Self.modelGroupKeys))",
                at: field.keySpan, hint: "a model group has 'models' and optional 'fallback'")
        }
        guard let modelsNode = entry.value["models"] else {
            reader.diagnostics.emit(.invalidModelGroup, "model group '\(entry.key)' has no 'models'", at: entry.keySpan)
            return
        }
        var chain = ModelChainChecker(providers: catalog, reader: reader)
        let fallback = entry.value["fallback"].map { chain.fallback($0) } ?? FallbackPolicy()
        if let fallbackNode = entry.value["fallback"] { chain.checkTimeout(fallback, fallbackNode: fallbackNode) }
        let models = chain.models(modelsNode, deadlineMs: fallback.deadlineMs)
        reader = chain.reader
        guard !models.isEmpty else { return }
        settings.modelGroups[entry.key] = ModelGroup(name: entry.key, models: models, fallback: fallback)
    }

    private mutating func checkProvider(_ entry: SpecNode.Entry) -> Bool {
        guard let fields = reader.entries(entry.value, "provider '\(entry.key)'") else { return false }
        for field in fields where !Self.providerKeys.contains(field.key) {
            reader.diagnostics.emit(
                .invalidProvider, "unknown key '\(field.key)' in provider '\(entry.key)'\(Suggestion.didYouMean(field.key, in: Self.providerKeys))",
                at: field.keySpan, hint: "provider keys are \(Self.providerKeys.joined(separator: ", "))")
        }
        let isBuiltIn = ProviderDefinition.builtIn.contains { $0.name == entry.key }
        let apis = ProviderAPI.allCases.filter { $0 != .mock }.map(\.rawValue)
        if let apiNode = entry.value["api"], let api = reader.string(apiNode, "'api'"), !apis.contains(api) {
            reader.diagnostics.emit(
                .invalidProvider, "provider '\(entry.key)' has unknown api '\(api)'\(Suggestion.didYouMean(api, in: apis))",
                at: apiNode.span, hint: "api is one of \(apis.joined(separator: ", "))")
        } else if !isBuiltIn, entry.value["api"] == nil {
            reader.diagnostics.emit(
                .invalidProvider, "provider '\(entry.key)' is not built in, so it needs 'api:' (\(apis.joined(separator: ", ")))",
                at: entry.keySpan)
        }
        if let urlNode = entry.value["base_url"], let url = reader.string(urlNode, "'base_url'"),
           !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            reader.diagnostics.emit(.invalidProvider, "base_url '\(url)' of provider '\(entry.key)' must start with http:// or https://", at: urlNode.span)
        } else if !isBuiltIn, entry.value["base_url"] == nil {
            reader.diagnostics.emit(.invalidProvider, "provider '\(entry.key)' is not built in, so it needs 'base_url:'", at: entry.keySpan)
        }
        var definition = settings.providers[entry.key] ?? ProviderDefinition(name: entry.key, api: .openai, baseURL: nil, apiKeyEnv: nil)
        if let api = entry.value["api"]?.string.flatMap(ProviderAPI.init(rawValue:)), api != .mock { definition.api = api }
        if let url = entry.value["base_url"]?.string { definition.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url }
        if let keyNode = entry.value["api_key_env"], let name = reader.string(keyNode, "'api_key_env'") {
            definition.apiKeyEnv = name.isEmpty ? nil : name
        }
        settings.providers[entry.key] = definition
        return true
    }

    /// `circuit_breaker`, `limits`, `upstream`, `max_body_bytes`, `host` and `port`.
    private mutating func checkSettings(_ root: SpecNode) {
        if let breaker = root["circuit_breaker"], let fields = reader.entries(breaker, "'circuit_breaker'") {
            reader.checkKeys(fields, allowed: Self.circuitBreakerKeys, code: .unknownConfigKey, in: "circuit_breaker")
            if let node = breaker["failures"], let failures = positiveInteger(node, "'circuit_breaker.failures'") {
                settings.circuitBreaker.failureThreshold = failures
            }
            if let node = breaker["open_for"], let milliseconds = reader.duration(node, "'circuit_breaker.open_for'") {
                settings.circuitBreaker.openMs = milliseconds
            }
        }
        if let limits = root["limits"], let fields = reader.entries(limits, "'limits'") {
            reader.checkKeys(fields, allowed: Self.limitKeys, code: .unknownConfigKey, in: "limits")
            for (key, path) in [("max_connections", \ClientLimits.maxConnections), ("max_error_details", \.maxErrorDetails)] {
                if let node = limits[key], let count = positiveInteger(node, "'limits.\(key)'") { settings.limits[keyPath: path] = count }
            }
            for (key, path) in [("client_timeout", \ClientLimits.clientTimeoutMs), ("idle_timeout", \.idleTimeoutMs)] {
                if let node = limits[key], let ms = reader.duration(node, "'limits.\(key)'") { settings.limits[keyPath: path] = ms }
            }
        }
        if let upstream = root["upstream"], let fields = reader.entries(upstream, "'upstream'") {
            reader.checkKeys(fields, allowed: Self.upstreamKeys, code: .unknownConfigKey, in: "upstream")
            if let node = upstream["max_connections_per_host"], let count = positiveInteger(node, "'upstream.max_connections_per_host'") {
                settings.upstream.maxConnectionsPerHost = count
            }
            if let node = upstream["connect_timeout"], let ms = reader.duration(node, "'upstream.connect_timeout'") {
                settings.upstream.connectTimeoutMs = ms
            }
        }
        if let node = root["max_body_bytes"], let bytes = positiveInteger(node, "'max_body_bytes'") {
            settings.maxBodyBytes = bytes
        }
        if let node = root["hedge_budget"] { hedgeBudget(node) }
        if let node = root["trusted_proxies"] { trustedProxies(node) }
        if let node = root["cache_max_bytes"], let bytes = positiveInteger(node, "'cache_max_bytes'") {
            settings.cacheMaxBytes = bytes
        }
        if let node = root["host"], let host = reader.string(node, "'host'") { settings.host = host }
        if let node = root["port"], let port = positiveInteger(node, "'port'") {
            if port > 65_535 {
                reader.diagnostics.emit(.invalidConfigValue, "'port' must be at most 65535, not \(port)", at: node.span)
            } else {
                settings.port = port
            }
        }
    }

    /// `consumers:`: a list of maps, names and key hashes unique. The endpoints each may call
    /// are checked against the specs later (`consumerEndpoints`), when the specs are known.
    private mutating func checkConsumers(_ node: SpecNode) {
        guard let items = reader.items(node, "'consumers'") else { return }
        var names: Set<String> = []
        var hashes: Set<String> = []
        for item in items {
            guard let fields = reader.entries(item, "a consumer") else { continue }
            reader.checkKeys(fields, allowed: Self.consumerKeys, code: .invalidConsumer, in: "a consumer")
            guard let nameNode = item["name"], let name = reader.string(nameNode, "a consumer's 'name'") else {
                if item["name"] == nil { reader.diagnostics.emit(.invalidConsumer, "a consumer needs 'name:'", at: item.span) }
                continue
            }
            if !names.insert(name).inserted {
                reader.diagnostics.emit(.invalidConsumer, "consumer '\(name)' is listed twice", at: nameNode.span)
            }
            guard let hashNode = item["key_sha256"] else {
                reader.diagnostics.emit(
                    .invalidConsumer, "consumer '\(name)' needs 'key_sha256:'", at: nameNode.span,
                    hint: "promptc keys new \(name) makes a key and prints its hash")
                continue
            }
            guard let hash = sha256Hex(hashNode, "consumer '\(name)'s 'key_sha256'") else { continue }
            if !hashes.insert(hash).inserted {
                reader.diagnostics.emit(.invalidConsumer, "consumer '\(name)' has the same key as another consumer", at: hashNode.span)
            }
            var consumer = Consumer(name: name, keySHA256: hash)
            if let endpointsNode = item["endpoints"], let endpointItems = reader.items(endpointsNode, "'endpoints'") {
                consumer.endpoints = endpointItems.compactMap { endpointNode in
                    guard let endpoint = reader.string(endpointNode, "an endpoint name") else { return nil }
                    consumerEndpoints.append((endpoint, endpointNode.span))
                    return endpoint
                }
            }
            if let rateNode = item["rate_limit"], let text = reader.string(rateNode, "'rate_limit'") {
                if let rate = RequestRate(text) {
                    consumer.rateLimit = rate
                } else {
                    reader.diagnostics.emit(
                        .invalidConsumer, "rate_limit '\(text)' is not a rate", at: rateNode.span,
                        hint: "a number of requests per second, minute or hour: 10/s, 120/min, 5000/h")
                }
            }
            if let tokensNode = item["tokens_per_minute"], let tokens = positiveInteger(tokensNode, "'tokens_per_minute'") {
                consumer.tokensPerMinute = tokens
            }
            if let budgetNode = item["budget"] { consumer.budget = budget(budgetNode) }
            settings.consumers.append(consumer)
        }
    }

    /// A consumer's `budget: { usd, per }`: a positive amount of US dollars per day, week or month.
    private mutating func budget(_ node: SpecNode) -> Budget? {
        guard let fields = reader.entries(node, "'budget'") else { return nil }
        reader.checkKeys(fields, allowed: ["usd", "per"], code: .invalidConsumer, in: "a budget")
        guard let usdNode = node["usd"], let perNode = node["per"] else {
            reader.diagnostics.emit(.invalidConsumer, "a budget needs 'usd:' and 'per:'", at: node.span, hint: "budget: { usd: 100, per: month }")
            return nil
        }
        let periods = Budget.Period.allCases.map(\.rawValue)
        guard let usd = Double(usdNode.scalar?.text ?? ""), usd > 0, usd <= 1_000_000_000 else {
            reader.diagnostics.emit(
                .invalidConsumer, "a budget's 'usd' must be a positive amount, at most 1000000000", at: usdNode.span, hint: "usd: 100")
            return nil
        }
        guard let text = reader.string(perNode, "a budget's 'per'") else { return nil }
        guard let per = Budget.Period(rawValue: text) else {
            reader.diagnostics.emit(
                .invalidConsumer, "a budget's 'per' is day, week or month, not '\(text)'\(Suggestion.didYouMean(text, in: periods))",
                at: perNode.span)
            return nil
        }
        return Budget(usd: usd, per: per)
    }

    /// `pricing:`: per `provider/model`, `input` and `output` in US dollars per million tokens.
    private mutating func checkPricing(_ node: SpecNode) {
        guard let entries = reader.entries(node, "'pricing'") else { return }
        for entry in entries {
            guard let fields = reader.entries(entry.value, "the price of '\(entry.key)'") else { continue }
            reader.checkKeys(fields, allowed: ["input", "output"], code: .invalidConfigValue, in: "the price of '\(entry.key)'")
            if !entry.key.contains("/") {
                reader.diagnostics.emit(.invalidConfigValue, "pricing names models as provider/model, not '\(entry.key)'", at: entry.keySpan)
                continue
            }
            var price = ModelPrice(inputPerMillion: 0, outputPerMillion: 0)
            for (key, keyPath) in [("input", \ModelPrice.inputPerMillion), ("output", \ModelPrice.outputPerMillion)] {
                guard let valueNode = entry.value[key] else { continue }
                let value: Double? = switch valueNode.scalar?.kind {
                case .integer(let integer)?: Double(integer)
                case .float(let float)?: float
                default: nil
                }
                guard let value, value >= 0, value.isFinite else {
                    reader.diagnostics.emit(
                        .invalidConfigValue, "the \(key) price of '\(entry.key)' must be a number of dollars per million tokens, at least 0",
                        at: valueNode.span)
                    continue
                }
                price[keyPath: keyPath] = value
            }
            settings.pricing[entry.key] = price
        }
    }

    /// A SHA-256 in hex, lower-cased; the key itself must never be written here.
    private mutating func sha256Hex(_ node: SpecNode, _ what: String) -> String? {
        guard let text = reader.string(node, what) else { return nil }
        let hash = text.lowercased()
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            reader.diagnostics.emit(
                .invalidConsumer, "\(what) must be a SHA-256 in hex (64 digits 0-9, a-f), not a \(text.count)-character value",
                at: node.span, hint: "promptc keys new NAME prints a key and its hash; the key itself never goes in promptc.yaml")
            return nil
        }
        return hash
    }

    /// What is wrong with a PostgreSQL URL, if anything.
    static func postgresProblem(_ url: String) -> String? {
        guard let parts = URLComponents(string: url), parts.host?.isEmpty == false, parts.user?.isEmpty == false else {
            return "is not a postgres://user:password@host:port/database URL"
        }
        do {
            _ = try DatabaseURL.sslMode(parts)
            return nil
        } catch {
            return "has \(error)"
        }
    }

    private mutating func positiveInteger(_ node: SpecNode, _ what: String) -> Int? {
        if case .integer(let value)? = node.scalar?.kind, value >= 1 { return value }
        reader.diagnostics.emit(
            .invalidConfigValue, "\(what) must be a whole number of at least 1, not '\(node.scalar?.text ?? node.kindDescription)'",
            at: node.span)
        return nil
    }

    private mutating func checkPool(_ entry: SpecNode.Entry, catalog: ProviderCatalog) {
        guard let fields = reader.entries(entry.value, "pool '\(entry.key)'") else { return }
        for field in fields where !Self.poolKeys.contains(field.key) {
            reader.diagnostics.emit(
                .invalidPool, "unknown key '\(field.key)' in pool '\(entry.key)'\(Suggestion.didYouMean(field.key, in: Self.poolKeys))",
                at: field.keySpan)
        }
        if let strategyNode = entry.value["strategy"], let strategy = reader.string(strategyNode, "'strategy'"),
           !Self.poolStrategies.contains(strategy) {
            reader.diagnostics.emit(
                .invalidPool, "unknown strategy '\(strategy)'\(Suggestion.didYouMean(strategy, in: Self.poolStrategies))",
                at: strategyNode.span, hint: "strategies are \(Self.poolStrategies.joined(separator: ", "))")
        }
        guard let membersNode = entry.value["members"] else {
            reader.diagnostics.emit(.invalidPool, "pool '\(entry.key)' has no 'members'", at: entry.keySpan)
            return
        }
        guard let members = reader.items(membersNode, "'members'") else { return }
        if members.isEmpty {
            reader.diagnostics.emit(.invalidPool, "pool '\(entry.key)' has no members", at: membersNode.span)
        }
        var pool = PoolDefinition(
            name: entry.key, strategy: entry.value["strategy"]?.string.flatMap(PoolDefinition.Strategy.init(rawValue:)) ?? .roundRobin,
            members: [])
        if let node = entry.value["hash_by"], let hashBy = hashBy(node, pool: entry.key, strategy: pool.strategy) { pool.hashBy = hashBy }
        defer { settings.pools[entry.key] = pool }
        for member in members {
            let modelNode = member.entries == nil ? member : member["model"]
            if let entries = member.entries {
                for field in entries where !Self.memberKeys.contains(field.key) {
                    reader.diagnostics.emit(.invalidPool, "unknown key '\(field.key)' in a pool member", at: field.keySpan)
                }
                if let weightNode = member["weight"],
                   !(weightNode.scalar.map { if case .integer(let w) = $0.kind { (1...Self.maximumWeight).contains(w) } else { false } } ?? false) {
                    reader.diagnostics.emit(.invalidPool, "'weight' must be a whole number from 1 to \(Self.maximumWeight)", at: weightNode.span)
                }
            }
            guard let modelNode, let model = reader.string(modelNode, "a pool member") else {
                if member.entries != nil { reader.diagnostics.emit(.invalidPool, "a pool member needs 'model:'", at: member.span) }
                continue
            }
            let provider = model.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            if !model.contains("/") || provider == ProviderDefinition.poolPrefix {
                reader.diagnostics.emit(.invalidPool, "pool member '\(model)' must be a provider/model", at: modelNode.span)
            } else if !catalog.providers.contains(provider) {
                reader.diagnostics.emit(
                    .invalidPool, "pool member '\(model)' names unknown provider '\(provider)'\(Suggestion.didYouMean(provider, in: catalog.providers))",
                    at: modelNode.span)
            } else {
                var weight = 1
                if case .integer(let value)? = member["weight"]?.scalar?.kind, (1...Self.maximumWeight).contains(value) { weight = value }
                pool.members.append(PoolDefinition.Member(model: model, weight: weight))
            }
        }
    }

    /// `hedge_budget: 5%`: the share of the last minute's calls that hedges may add.
    private mutating func hedgeBudget(_ node: SpecNode) {
        let text = node.scalar?.text ?? ""
        guard text.hasSuffix("%"), let percent = Double(text.dropLast()), (0...100).contains(percent) else {
            reader.diagnostics.emit(
                .invalidConfigValue, "'hedge_budget' must be a percentage from 0% to 100%, not '\(node.scalar?.text ?? node.kindDescription)'",
                at: node.span, hint: "for example hedge_budget: 5%")
            return
        }
        settings.hedgeBudget = percent / 100
    }

    /// `trusted_proxies`: addresses or CIDR ranges of the load balancers in front.
    private mutating func trustedProxies(_ node: SpecNode) {
        guard let items = reader.items(node, "'trusted_proxies'") else { return }
        for item in items {
            guard let text = reader.string(item, "a trusted proxy") else { continue }
            guard AddressRange(text) != nil else {
                reader.diagnostics.emit(
                    .invalidConfigValue, "'\(text)' in trusted_proxies is not an IP address or CIDR range", at: item.span,
                    hint: "for example 10.0.0.0/8, 192.168.1.7 or fd00::/8")
                continue
            }
            settings.trustedProxies.append(text)
        }
    }

    /// A pool's `hash_by`: `consumer`, `client_ip` or `header:NAME`, for strategy `hash`.
    private mutating func hashBy(_ node: SpecNode, pool: String, strategy: PoolDefinition.Strategy) -> PoolDefinition.HashBy? {
        guard let text = reader.string(node, "'hash_by'") else { return nil }
        let hashBy: PoolDefinition.HashBy
        if text == "consumer" {
            hashBy = .consumer
        } else if text == "client_ip" {
            hashBy = .clientIP
        } else if text.hasPrefix("header:"), let name = Optional(String(text.dropFirst(7))), !name.isEmpty,
            name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") })
        {
            hashBy = .header(name.lowercased())
        } else {
            reader.diagnostics.emit(
                .invalidPool, "unknown hash_by '\(text)' in pool '\(pool)'\(Suggestion.didYouMean(text, in: ["consumer", "client_ip"]))",
                at: node.span, hint: "hash_by is consumer, client_ip or header:NAME")
            return nil
        }
        guard strategy == .hash else {
            reader.diagnostics.emit(.invalidPool, "hash_by applies to strategy 'hash', not '\(strategy.rawValue)'", at: node.span)
            return nil
        }
        return hashBy
    }
}
