/// The right to make one call on a chain step: the model it goes to (the step's own, or the
/// member its pool picked), with the circuit breaker's ticket for it. `end` hands the outcome to
/// that circuit and frees the pool member; it is called once.
struct Lease {
    let target: ChainStep
    private let ticket: CircuitBreaker.Ticket
    private let breakers: CircuitBreakerRegistry
    private let poolMember: (pool: Pool, index: Int)?

    enum Acquired {
        case lease(Lease)
        /// The step's circuit (every member's, for a pool) is open; it may let a call through
        /// after this long, when known.
        case refused(retryAfterMs: Int?)
    }

    /// The pool member the lease went to, for a pool step.
    var memberIndex: Int? { poolMember?.index }

    /// `excludingMember`: for a hedge on a pool, the member the first attempt went to.
    static func acquire(_ step: ChainStep, affinity: ChainAffinity, breakers: CircuitBreakerRegistry, excludingMember: Int? = nil) -> Acquired {
        if let pool = step.pool {
            switch pool.choose(affinity: affinity, breakers: breakers, excluding: excludingMember) {
            case .member(let index, let member, let ticket):
                return .lease(Lease(target: member, ticket: ticket, breakers: breakers, poolMember: (pool, index)))
            case .none(let retryAfterMs):
                return .refused(retryAfterMs: retryAfterMs)
            }
        }
        switch breakers.permission(for: step.model) {
        case .allowed(let ticket):
            return .lease(Lease(target: step, ticket: ticket, breakers: breakers, poolMember: nil))
        case .open(let retryAfterMs):
            return .refused(retryAfterMs: retryAfterMs)
        }
    }

    func end(_ outcome: CircuitBreaker.Outcome) {
        breakers.record(outcome, for: target.model, ticket: ticket)
        if let poolMember { poolMember.pool.finished(poolMember.index) }
    }
}
