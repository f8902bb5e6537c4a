import EndpointModel
import SpecFrontEnd

/// Checks `models`, `parameters`, `fallback` and `cache` (spec-format.md, Top-level keys).
struct ModelChainChecker {
    static let modelKeys = ["model", "timeout", "retries", "parameters"]
    static let fallbackKeys = ["on", "retries", "timeout", "deadline", "first_token_timeout", "hedge_after"]
    static let cacheKeys = ["ttl", "stale_if_error"]

    let providers: ProviderCatalog
    var reader: SpecReader
    /// A fallback duration did not parse: comparisons against the deadline would be about a
    /// default the user never wrote, so they are not made.
    var durationsUnsound = false

    mutating func models(_ node: SpecNode, deadlineMs: Int) -> [EndpointDefinition.ModelStep] {
        guard let items = reader.items(node, "'models'") else { return [] }
        guard !items.isEmpty else {
            reader.diagnostics.emit(
                .emptyModelChain, "'models' is empty; list at least one model to call", at: node.span,
                hint: "e.g. '- openai/gpt-4o-mini'")
            return []
        }
        var steps: [EndpointDefinition.ModelStep] = []
        var seen: [String: SourceLocation] = [:]
        for item in items {
            var referenceNode = item
            var step: EndpointDefinition.ModelStep?
            if let entries = item.entries {
                reader.checkKeys(entries, allowed: Self.modelKeys, code: .unknownKey, in: "a model entry")
                guard let modelNode = reader.requireKey("model", in: item, of: "a model entry", hint: "e.g. 'model: openai/gpt-4o-mini'") else { continue }
                referenceNode = modelNode
                step = reference(modelNode)
                if let timeoutNode = item["timeout"], let timeout = reader.duration(timeoutNode, "'timeout'") {
                    step?.timeoutMs = timeout
                    if timeout > deadlineMs, !durationsUnsound {
                        reader.diagnostics.emit(
                            .timeoutExceedsDeadline,
                            "this timeout (\(timeout) ms) is longer than the deadline (\(deadlineMs) ms); attempts are cut at the deadline",
                            at: timeoutNode.span)
                    }
                }
                step?.retries = item["retries"].flatMap { retries($0) }
                if let parametersNode = item["parameters"] { step?.parameters = parameters(parametersNode) }
            } else {
                step = reference(item)
            }
            guard let step else { continue }
            if let first = seen[step.model] {
                reader.diagnostics.emit(
                    .repeatedModel, "'\(step.model)' is already in the chain (line \(first.line)); it will be tried twice",
                    at: referenceNode.span, related: [first])
            }
            seen[step.model] = referenceNode.location
            steps.append(step)
        }
        return steps
    }

    private mutating func reference(_ node: SpecNode) -> EndpointDefinition.ModelStep? {
        guard let text = reader.string(node, "a model") else { return nil }
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex, text.index(after: slash) != text.endIndex,
              !text.contains(where: \.isWhitespace) else {
            reader.diagnostics.emit(
                .malformedModelReference, "'\(text)' does not name a model as provider/model", at: node.span,
                hint: "e.g. openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest or pool/NAME")
            return nil
        }
        let provider = String(text[..<slash]), model = String(text[text.index(after: slash)...])
        if provider == ProviderDefinition.poolPrefix {
            if !providers.pools.contains(model) {
                let configured = providers.pools.isEmpty ? "promptc.yaml defines no pools" : "pools: \(providers.pools.sorted().joined(separator: ", "))"
                reader.diagnostics.emit(
                    .unknownPool, "unknown pool '\(model)'\(Suggestion.didYouMean(model, in: providers.pools))", at: node.span,
                    hint: "\(configured); define it under 'pools:' in promptc.yaml")
            }
        } else if provider == "mock", model.hasPrefix("fail-") {
            // mock/fail-CLASS fails every call with CLASS: a class promptc does not know would
            // fail as something else than the author meant.
            let name = String(model.dropFirst("fail-".count))
            if FailureClass(rawValue: name) == nil {
                let classes = FailureClass.allCases.map(\.rawValue)
                reader.diagnostics.emit(
                    .unknownFailureClass, "unknown failure class '\(name)' in '\(text)'\(Suggestion.didYouMean(name, in: classes))", at: node.span,
                    hint: "mock/fail-CLASS fails with CLASS, one of \(classes.joined(separator: ", "))")
            }
        } else if !providers.providers.contains(provider) {
            let names = providers.providers.sorted()
            reader.diagnostics.emit(
                .unknownProvider, "unknown provider '\(provider)'\(Suggestion.didYouMean(provider, in: names))",
                at: SourceSpan(start: node.span.start, length: provider.unicodeScalars.count + (node.scalar?.style == .quoted ? 1 : 0)),
                hint: "known providers: \(names.joined(separator: ", ")); add others under 'providers:' in promptc.yaml")
        }
        return EndpointDefinition.ModelStep(model: text, provider: provider, name: model, timeoutMs: nil, retries: nil, parameters: ModelParameters())
    }

    mutating func retries(_ node: SpecNode) -> Int? {
        guard case .integer(let value)? = node.scalar?.kind, (0...10).contains(value) else {
            reader.diagnostics.emit(
                .invalidRetries, "'retries' must be a whole number from 0 to 10, not \(node.scalar?.text ?? node.kindDescription)",
                at: node.span)
            return nil
        }
        return value
    }

    mutating func parameters(_ node: SpecNode) -> ModelParameters {
        var parameters = ModelParameters()
        guard let entries = reader.entries(node, "'parameters'") else { return parameters }
        for entry in entries {
            let value = entry.value
            switch entry.key {
            case "temperature": parameters.temperature = number(value, "temperature", range: 0...2)
            case "top_p": parameters.topP = number(value, "top_p", range: 0...1)
            case "max_tokens":
                if case .integer(let tokens)? = value.scalar?.kind, tokens >= 1 {
                    parameters.maxTokens = tokens
                } else {
                    invalid(value, "max_tokens", "a whole number of at least 1")
                }
            case "seed":
                if case .integer(let seed)? = value.scalar?.kind { parameters.seed = seed } else { invalid(value, "seed", "an integer") }
            case "stop":
                if let text = value.string {
                    parameters.stop = [text]
                } else if let items = value.items, !items.isEmpty, items.count <= 4, items.allSatisfy({ $0.string?.isEmpty == false }) {
                    parameters.stop = items.compactMap(\.string)
                } else {
                    invalid(value, "stop", "a string or a list of 1 to 4 non-empty strings")
                }
            default:
                reader.diagnostics.emit(
                    .unknownParameter, "unknown parameter '\(entry.key)'\(Suggestion.didYouMean(entry.key, in: ModelParameters.names))",
                    at: entry.keySpan, hint: "parameters are \(ModelParameters.names.joined(separator: ", "))")
            }
        }
        return parameters
    }

    private mutating func number(_ node: SpecNode, _ name: String, range: ClosedRange<Double>) -> Double? {
        let value: Double?
        switch node.scalar?.kind {
        case .integer(let integer)?: value = Double(integer)
        case .float(let float)?: value = float
        default: value = nil
        }
        guard let value, range.contains(value) else {
            invalid(node, name, "a number from \(CanonicalJSON.format(range.lowerBound)) to \(CanonicalJSON.format(range.upperBound))")
            return nil
        }
        return value
    }

    private mutating func invalid(_ node: SpecNode, _ name: String, _ expected: String) {
        reader.diagnostics.emit(
            .invalidParameterValue, "'\(name)' must be \(expected), not \(node.scalar?.text ?? node.kindDescription)", at: node.span)
    }

    mutating func fallback(_ node: SpecNode) -> FallbackPolicy {
        var policy = FallbackPolicy()
        guard let entries = reader.entries(node, "'fallback'") else { return policy }
        reader.checkKeys(entries, allowed: Self.fallbackKeys, code: .unknownKey, in: "'fallback'")
        if let onNode = node["on"], let items = reader.items(onNode, "'fallback.on'") {
            var classes: [FailureClass] = []
            let names = FailureClass.allCases.map(\.rawValue)
            for item in items {
                guard let name = reader.string(item, "a failure class") else { continue }
                guard let failure = FailureClass(rawValue: name) else {
                    reader.diagnostics.emit(
                        .unknownFailureClass, "unknown failure class '\(name)'\(Suggestion.didYouMean(name, in: names))",
                        at: item.span, hint: "failure classes are \(names.joined(separator: ", "))")
                    continue
                }
                if !classes.contains(failure) { classes.append(failure) }
            }
            policy.on = classes
        }
        if let retriesNode = node["retries"], let retries = retries(retriesNode) { policy.retries = retries }
        if let timeoutNode = node["timeout"] {
            if let timeout = reader.duration(timeoutNode, "'timeout'") { policy.timeoutMs = timeout } else { durationsUnsound = true }
        }
        if let deadlineNode = node["deadline"] {
            if let deadline = reader.duration(deadlineNode, "'deadline'") { policy.deadlineMs = deadline } else { durationsUnsound = true }
        }
        if let node = node["first_token_timeout"] {
            if let timeout = reader.duration(node, "'first_token_timeout'") { policy.firstTokenTimeoutMs = timeout } else { durationsUnsound = true }
        }
        if let node = node["hedge_after"] {
            if case .string? = node.scalar?.kind, node.scalar?.text == "p95" {
                policy.hedgeAfter = .p95
            } else if let after = reader.duration(node, "'hedge_after' (p95, or)") {
                policy.hedgeAfter = .milliseconds(after)
            } else {
                durationsUnsound = true
            }
        }
        return policy
    }

    /// A timeout longer than the deadline can never be used in full.
    mutating func checkTimeout(_ policy: FallbackPolicy, fallbackNode: SpecNode) {
        // A duration that did not parse left a default in its place, which the user never wrote.
        guard !durationsUnsound else { return }
        if let firstToken = policy.firstTokenTimeoutMs, firstToken > policy.deadlineMs, let node = fallbackNode["first_token_timeout"] {
            reader.diagnostics.emit(
                .timeoutExceedsDeadline,
                "first_token_timeout (\(firstToken) ms) is longer than the deadline (\(policy.deadlineMs) ms); the wait is cut at the deadline",
                at: node.span)
        }
        if case .milliseconds(let after)? = policy.hedgeAfter, after >= policy.timeoutMs, let node = fallbackNode["hedge_after"] {
            reader.diagnostics.emit(
                .timeoutExceedsDeadline,
                "hedge_after (\(after) ms) is not shorter than the timeout (\(policy.timeoutMs) ms); the first attempt times out before a hedge could start",
                at: node.span)
        }
        guard policy.timeoutMs > policy.deadlineMs else { return }
        reader.diagnostics.emit(
            .timeoutExceedsDeadline,
            "timeout (\(policy.timeoutMs) ms) is longer than the deadline (\(policy.deadlineMs) ms); attempts are cut at the deadline",
            at: (fallbackNode["timeout"] ?? fallbackNode["deadline"] ?? fallbackNode).span)
    }

    mutating func cache(_ node: SpecNode) -> CachePolicy? {
        guard let entries = reader.entries(node, "'cache'") else { return nil }
        reader.checkKeys(entries, allowed: Self.cacheKeys, code: .unknownKey, in: "'cache'")
        return CachePolicy(
            ttlMs: node["ttl"].flatMap { reader.duration($0, "'cache.ttl'") },
            staleIfErrorMs: node["stale_if_error"].flatMap { reader.duration($0, "'cache.stale_if_error'") })
    }
}
