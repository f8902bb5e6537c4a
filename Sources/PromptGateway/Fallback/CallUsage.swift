import EndpointModel

/// What one model call of a request used, as usage records, budgets and the cost metrics count
/// it. A request pays for the call that answered and, when it was hedged, for the call that lost
/// the race too (gateway-contract.md, Tail latency: "Both calls' tokens and costs are recorded").
struct CallUsage: Sendable, Hashable {
    var model: String
    var tokens: TokenUsage

    /// The call's cost by `pricing:`; nothing for a model without a price.
    func cost(_ pricing: [String: ModelPrice]) -> Double {
        pricing[model]?.cost(input: tokens.input, output: tokens.output) ?? 0
    }

    /// What a request paid for: its answer's call and, when hedged, the race's loser. No
    /// collection is made, as this runs for every request.
    static func total(_ answer: CallUsage?, _ hedgeLoser: CallUsage?, pricing: [String: ModelPrice]) -> (tokens: TokenUsage, cost: Double) {
        let tokens = TokenUsage(
            input: (answer?.tokens.input ?? 0) + (hedgeLoser?.tokens.input ?? 0), output: (answer?.tokens.output ?? 0) + (hedgeLoser?.tokens.output ?? 0))
        return (tokens, (answer?.cost(pricing) ?? 0) + (hedgeLoser?.cost(pricing) ?? 0))
    }
}
