import Synchronization

/// A request's first call raced against a hedge (gateway-contract.md, Tail latency; "The Tail at
/// Scale"): when the first call has not answered by `hedge_after` (for a stream: has not sent
/// its first token), one more starts on the next model of the chain (or, for a pool, another
/// member), if the hedge budget has room and that model's circuit lets a call through. The first
/// answer (for a stream: the first token, through `StreamGate`) wins; the other call is
/// cancelled, listed as `hedged`, and leaves no mark on its circuit. If the first call fails
/// before a hedge starts, the chain goes on as it would have without hedging.
struct HedgedRace<Output: Sendable> {
    let chain: FallbackChain
    let budget: HedgeBudget
    let affinity: ChainAffinity
    let attempt: @Sendable (ChainStep, Duration) async throws(AttemptFailure) -> (Output, TokenUsage)
    /// For a streamed request: which call the client hears.
    var gate: StreamGate?

    enum Outcome {
        case answered(ChainResult<Output>)
        /// The first call failed before any hedge started: settle it as any failure.
        case firstFailedAlone(AttemptFailure, ms: Int)
        /// Both calls failed: recorded; the failure that ends the chain, if one does.
        case bothFailed(ChainFailure?)
    }

    private enum Event: Sendable {
        case hedgeDue
        /// A streamed call sent the first token.
        case claimed(slot: Int)
        case ended(slot: Int, Result<(Output, TokenUsage), AttemptFailure>, ms: Int)
    }

    /// One call of the race: where it went and how it ended.
    private struct Call {
        var lease: Lease
        var step: Int
        var ended: (outcome: String, ms: Int)?
        var failure: AttemptFailure?
        /// The tokens of a call that answered, even too late to win.
        var tokens: TokenUsage?
    }

    func run(first: Lease, step: Int, timeout: Duration, hedgeAfter: Duration, decisions: inout ChainDecisions) async -> Outcome {
        let clock = ContinuousClock()
        var calls = [Call(lease: first, step: step)]
        var winner: (slot: Int, value: (Output, TokenUsage))?
        // Each call runs in a task of its own, so that the loser alone can be cancelled when the
        // winner's first token comes.
        let tasks = SlotTasks<Result<(Output, TokenUsage), AttemptFailure>>()
        let (attempt, gate) = (self.attempt, self.gate)
        return await withTaskGroup(of: Event.self) { group in
            func start(_ slot: Int, _ target: ChainStep, _ timeout: Duration) {
                group.addTask {
                    let started = clock.now
                    let task = Task {
                        await HedgeStreamSlot.$current.withValue(gate.map { ($0, slot) }) { () async -> Result<(Output, TokenUsage), AttemptFailure> in
                            do throws(AttemptFailure) {
                                return .success(try await attempt(target, timeout))
                            } catch {
                                return .failure(error)
                            }
                        }
                    }
                    tasks.tasks.withLock { $0[slot] = task }
                    let result = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
                    return .ended(slot: slot, result, ms: (clock.now - started).milliseconds)
                }
            }
            start(0, first.target, timeout)
            group.addTask {
                try? await Task.sleep(for: hedgeAfter)
                return .hedgeDue
            }
            if let gate {
                group.addTask {
                    for await slot in gate.claimed { return .claimed(slot: slot) }
                    return .hedgeDue
                }
            }
            while let event = await group.next() {
                switch event {
                case .hedgeDue:
                    // Only while the first call is still out (for a stream: has sent nothing), and once.
                    guard winner == nil, calls.count == 1, calls[0].ended == nil, !Task.isCancelled, gate?.startHedge() ?? true,
                        let (lease, index, hedgeTimeout) = hedge(after: first, step: step, decisions: decisions, now: clock.now)
                    else { continue }
                    calls.append(Call(lease: lease, step: index))
                    start(1, lease.target, hedgeTimeout)
                case .claimed(let slot):
                    // The stream is this call's: the other one is cut off now.
                    for (other, task) in tasks.tasks.withLock({ $0 }) where other != slot { task.cancel() }
                case .ended(let slot, let result, let ms):
                    let owner = gate?.owner
                    switch result {
                    case _ where winner != nil || (owner != nil && owner != slot):
                        // The loser: cancelled, or done too late. It says nothing about its model.
                        calls[slot].lease.end(.neutral)
                        calls[slot].ended = (AttemptRecord.hedged, ms)
                        if case .success(let value) = result { calls[slot].tokens = value.1 }
                    case .success(let value):
                        calls[slot].lease.end(.success)
                        calls[slot].lease.target.latency.record(ms)
                        calls[slot].ended = ("ok", ms)
                        winner = (slot, value)
                        // The other call (and the hedge's timer) ends now.
                        group.cancelAll()
                    case .failure(let failure):
                        if calls.count == 1 {
                            // No hedge is out: the chain settles this failure as any other
                            // (its circuit, its retries).
                            group.cancelAll()
                            return .firstFailedAlone(failure, ms: ms)
                        }
                        calls[slot].lease.end(failure.countsTowardsCircuit && !Task.isCancelled ? .failure : .neutral)
                        if failure.failureClass == .timeout { calls[slot].lease.target.latency.recordSlowFailure(ms) }
                        calls[slot].ended = (failure.failureClass.rawValue, ms)
                        calls[slot].failure = failure
                    }
                    if calls.allSatisfy({ $0.ended != nil }) {
                        gate?.finish()
                        group.cancelAll()
                    }
                }
            }
            for call in calls {
                decisions.raced(model: call.lease.target.model, outcome: call.ended?.outcome ?? AttemptRecord.hedged, ms: call.ended?.ms ?? 0)
            }
            if let winner {
                let (output, usage) = winner.value
                return .answered(ChainResult(
                    output: output, model: calls[winner.slot].lease.target.model, usage: usage, attempts: decisions.records,
                    hedge: calls.count > 1 ? (winner.slot == 1 ? .won : .lost) : nil,
                    hedgeLoser: Self.loser(of: calls, winner: winner.slot, winnerTokens: usage)))
            }
            let failures = calls.compactMap { call in call.failure.map { (model: call.lease.target.model, failure: $0) } }
            return .bothFailed(decisions.raceFailed(failures, through: calls.map(\.step).max() ?? step, now: clock.now))
        }
    }

    /// What the race's losing call cost. A call cut off never reports its tokens, yet providers
    /// bill the prompt they had read: it counts the winner's input tokens (the same prompt) and no
    /// output (a streamed loser is cut off before its first token; a call that answered, too late
    /// to win, counts its own). A loser that had failed on its own before the race ended costs nothing.
    private static func loser(of calls: [Call], winner: Int, winnerTokens: TokenUsage) -> CallUsage? {
        guard let loser = calls.indices.first(where: { $0 != winner && calls[$0].ended?.outcome == AttemptRecord.hedged }) else { return nil }
        return CallUsage(model: calls[loser].lease.target.model, tokens: calls[loser].tokens ?? TokenUsage(input: winnerTokens.input))
    }

    /// The hedge's lease, step and timeout: another member of the first call's pool, else the
    /// next configured step whose circuit lets a call through; none when the budget is spent.
    private func hedge(after first: Lease, step: Int, decisions: ChainDecisions, now: ContinuousClock.Instant) -> (Lease, Int, Duration)? {
        guard budget.tryHedge() else { return nil }
        let candidates: [(index: Int, excluding: Int?)] =
            chain.steps[step].pool != nil
            ? [(step, first.memberIndex)]
            : (step + 1..<chain.steps.count).filter { chain.steps[$0].isConfigured }.map { ($0, nil) }
        for (index, excluding) in candidates {
            guard case .lease(let lease) = Lease.acquire(chain.steps[index], affinity: affinity, breakers: chain.breakers, excludingMember: excluding)
            else { continue }
            let timeout = Duration.milliseconds(chain.steps[index].timeoutMs ?? chain.policy.timeoutMs)
            return (lease, index, min(timeout, decisions.timeLeft(now: now)))
        }
        budget.refund()
        return nil
    }
}

/// The task of each call of a race, by slot.
private final class SlotTasks<Value: Sendable>: Sendable {
    let tasks = Mutex<[Int: Task<Value, Never>]>([:])
}
