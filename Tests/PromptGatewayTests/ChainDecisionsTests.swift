import EndpointModel
import Testing
@testable import PromptGateway

/// The fallback chain's decisions, apart from any I/O, over a test clock.
@Suite("Chain decisions")
struct ChainDecisionsTests {
    let clock = TestClock()

    func decisions(_ steps: [ChainDecisions.Step], on: Set<FailureClass> = Set(FailureClass.allCases), deadline: Duration = .seconds(10)) -> ChainDecisions {
        ChainDecisions(steps: steps, on: on, deadline: clock.now + deadline, backoff: Backoff(baseMs: 200, capMs: 5_000))
    }

    static func step(_ model: String, tries: Int = 1, timeout: Duration = .seconds(3), configured: Bool = true) -> ChainDecisions.Step {
        ChainDecisions.Step(model: model, isConfigured: configured, tries: tries, timeout: timeout)
    }

    @Test func retriesWithBackoffThenMovesToTheNextModel() {
        var chain = decisions([Self.step("a", tries: 2), Self.step("b")])
        #expect(chain.next(now: clock.now) == .attempt(step: 0, timeout: .seconds(3)))
        #expect(chain.failed(model: "a", AttemptFailure(.serverError, "500"), ms: 5, now: clock.now) == nil)
        guard case .wait(let wait) = chain.next(now: clock.now) else { Issue.record("no backoff"); return }
        #expect(wait >= .milliseconds(100) && wait <= .milliseconds(200))
        clock.advance(by: wait)
        #expect(chain.next(now: clock.now) == .attempt(step: 0, timeout: .seconds(3)))
        #expect(chain.failed(model: "a", AttemptFailure(.serverError, "500"), ms: 5, now: clock.now) == nil)
        #expect(chain.next(now: clock.now) == .attempt(step: 1, timeout: .seconds(3)))
        chain.succeeded(model: "b", ms: 7)
        #expect(chain.records.map(\.outcome) == ["server_error", "server_error", "ok"])
    }

    @Test func aTimeoutWithTimeLeftMovesOnAndOnlyTheDeadlineGives504() {
        var chain = decisions([Self.step("a"), Self.step("b"), Self.step("c")], deadline: .seconds(4))
        #expect(chain.next(now: clock.now) == .attempt(step: 0, timeout: .seconds(3)))
        clock.advance(by: .milliseconds(50))
        // A provider's own 408 with time left: the next model, not 504.
        #expect(chain.failed(model: "a", AttemptFailure(.timeout, "HTTP 408"), ms: 50, now: clock.now) == nil)
        // The next attempt is cut to what is left of the deadline.
        #expect(chain.next(now: clock.now) == .attempt(step: 1, timeout: .seconds(3)))
        clock.advance(by: .seconds(3))
        #expect(chain.failed(model: "b", AttemptFailure(.timeout, "slow"), ms: 3000, now: clock.now) == nil)
        #expect(chain.next(now: clock.now) == .attempt(step: 2, timeout: .milliseconds(950)))
        clock.advance(by: .milliseconds(950))
        let failure = chain.failed(model: "c", AttemptFailure(.timeout, "slow"), ms: 950, now: clock.now)
        #expect(failure == .deadlineExceeded(attempts: chain.records))
    }

    @Test func retryAfterBeyondTheDeadlineLeavesTheModel() {
        var chain = decisions([Self.step("a", tries: 3), Self.step("b")], deadline: .seconds(5))
        _ = chain.next(now: clock.now)
        #expect(chain.failed(model: "a", AttemptFailure(.rateLimit, "429", retryAfterMs: 60_000), ms: 1, now: clock.now) == nil)
        #expect(chain.next(now: clock.now) == .attempt(step: 1, timeout: .seconds(3)))
    }

    @Test func retryAfterWithinTheDeadlineIsWaited() {
        var chain = decisions([Self.step("a", tries: 2)])
        _ = chain.next(now: clock.now)
        _ = chain.failed(model: "a", AttemptFailure(.rateLimit, "429", retryAfterMs: 1_500), ms: 1, now: clock.now)
        #expect(chain.next(now: clock.now) == .wait(.milliseconds(1_500)))
    }

    @Test func insufficientQuotaIsNotRetriedOnTheSameModel() {
        var chain = decisions([Self.step("a", tries: 3), Self.step("b")])
        _ = chain.next(now: clock.now)
        let quota = ProviderErrorClassifier.classify(
            status: 429, headers: ["retry-after": "1"],
            body: Array(#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#.utf8))
        #expect(quota.failureClass == .rateLimit && !quota.retrySameModel)
        #expect(chain.failed(model: "a", quota, ms: 1, now: clock.now) == nil)
        #expect(chain.next(now: clock.now) == .attempt(step: 1, timeout: .seconds(3)))
    }

    @Test func aClassFallbackOnDoesNotListEndsTheChain() {
        var chain = decisions([Self.step("a"), Self.step("b")], on: [.timeout])
        _ = chain.next(now: clock.now)
        guard case .upstreamFailed(let message, _)? = chain.failed(model: "a", AttemptFailure(.badRequest, "400"), ms: 1, now: clock.now) else {
            Issue.record("the chain went on")
            return
        }
        #expect(message.contains("fallback.on"))
    }

    @Test func everyStepSkippedIs503WithTheSoonestHalfOpen() {
        var chain = decisions([Self.step("a", configured: false), Self.step("b"), Self.step("c")])
        #expect(chain.next(now: clock.now) == .attempt(step: 1, timeout: .seconds(3)))
        chain.skipped(retryAfterMs: 4_000)
        #expect(chain.next(now: clock.now) == .attempt(step: 2, timeout: .seconds(3)))
        chain.skipped(retryAfterMs: 900)
        guard case .fail(.noHealthyUpstream(let attempts, let retryAfterMs)) = chain.next(now: clock.now) else {
            Issue.record("not 503")
            return
        }
        #expect(attempts.map(\.outcome) == ["unconfigured", "circuit_open", "circuit_open"])
        #expect(retryAfterMs == 900)
    }

    @Test func aDeadlineThatRanOutDuringABackoffEndsTheChain() {
        var chain = decisions([Self.step("a", tries: 2)], deadline: .milliseconds(150))
        _ = chain.next(now: clock.now)
        _ = chain.failed(model: "a", AttemptFailure(.serverError, "500"), ms: 1, now: clock.now)
        guard case .wait(let wait) = chain.next(now: clock.now) else { Issue.record("no wait"); return }
        #expect(wait <= .milliseconds(150))
        clock.advance(by: .milliseconds(150))
        #expect(chain.next(now: clock.now) == .fail(.deadlineExceeded(attempts: chain.records)))
    }
}
