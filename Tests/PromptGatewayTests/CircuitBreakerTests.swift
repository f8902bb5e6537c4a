import EndpointModel
import Synchronization
import Testing
@testable import PromptGateway

/// The circuit breaker as a state machine over a test clock (gateway-contract.md, Limits,
/// timeouts and failure accounting: half-open means exactly one trial).
@Suite("Circuit breaker")
struct CircuitBreakerTests {
    let clock = TestClock()

    func registry(failures: Int = 2, openMs: Int = 1000) -> CircuitBreakerRegistry {
        let clock = clock
        return CircuitBreakerRegistry(settings: CircuitBreakerSettings(failureThreshold: failures, openMs: openMs), now: { clock.now })
    }

    func ticket(_ breakers: CircuitBreakerRegistry, _ model: String = "m") throws -> CircuitBreaker.Ticket {
        guard case .allowed(let ticket) = breakers.permission(for: model) else {
            throw HarnessError("the circuit refused: \(breakers.state(of: model))")
        }
        return ticket
    }

    @Test func opensAfterConsecutiveFailuresAndHalfOpensAfterOpenFor() throws {
        let breakers = registry()
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        #expect(breakers.state(of: "m") == .closed(consecutiveFailures: 1))
        breakers.record(.success, for: "m", ticket: try ticket(breakers))
        #expect(breakers.state(of: "m") == .closed(consecutiveFailures: 0), "a success resets the count")
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        clock.advance(by: .milliseconds(10))
        #expect(breakers.permission(for: "m") == .open(retryAfterMs: 990))
        clock.advance(by: .milliseconds(990))
        let trial = try ticket(breakers)
        #expect(trial.isTrial)
        #expect(breakers.state(of: "m") == .halfOpen(trialInFlight: true))
    }

    /// Openings and closings here are reported (another replica hears of the openings); a
    /// reopening after a failed trial is not a new opening.
    @Test func transitionsAreReported() throws {
        let heard = Mutex<[String]>([])
        let clock = clock
        let breakers = CircuitBreakerRegistry(
            settings: CircuitBreakerSettings(failureThreshold: 2, openMs: 1000), now: { clock.now },
            onTransition: { model, transition in heard.withLock { $0.append("\(model) \(transition)") } })
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        #expect(heard.withLock { $0 }.isEmpty)
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        #expect(heard.withLock { $0 } == ["m opened"])
        clock.advance(by: .seconds(1))
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        clock.advance(by: .seconds(1))
        breakers.record(.success, for: "m", ticket: try ticket(breakers))
        #expect(heard.withLock { $0 } == ["m opened", "m closed"])
    }

    /// Opened by another replica: a closed circuit opens for `open_for` and half-opens on its own
    /// clock; an open or half-open one is left alone, and nothing is reported back.
    @Test func openFromElsewhereOpensOnlyAClosedCircuit() throws {
        let heard = Mutex(0)
        let clock = clock
        let breakers = CircuitBreakerRegistry(
            settings: CircuitBreakerSettings(failureThreshold: 2, openMs: 1000), now: { clock.now },
            onTransition: { _, _ in heard.withLock { $0 += 1 } })
        #expect(breakers.openFromElsewhere("m"))
        #expect(breakers.permission(for: "m") == .open(retryAfterMs: 1000))
        #expect(!breakers.openFromElsewhere("m"), "already open")
        clock.advance(by: .seconds(1))
        let trial = try ticket(breakers)
        #expect(trial.isTrial)
        #expect(!breakers.openFromElsewhere("m"), "half-open")
        #expect(breakers.state(of: "m") == .halfOpen(trialInFlight: true))
        #expect(heard.withLock { $0 } == 0)
    }

    @Test func halfOpenLetsExactlyOneTrialThrough() throws {
        let breakers = registry()
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        clock.advance(by: .seconds(1))
        let trial = try ticket(breakers)
        for _ in 0..<5 { #expect(!breakers.permission(for: "m").isAllowed, "a second call got through a half-open circuit") }
        breakers.record(.failure, for: "m", ticket: trial)
        clock.advance(by: .milliseconds(100))
        #expect(breakers.permission(for: "m") == .open(retryAfterMs: 900), "a failed trial opens the circuit again")
    }

    @Test func callsFromBeforeTheChangeDecideNothing() throws {
        let breakers = registry()
        // Three calls start while the circuit is closed.
        let early = try (0..<3).map { _ in try ticket(breakers) }
        breakers.record(.failure, for: "m", ticket: early[0])
        breakers.record(.failure, for: "m", ticket: early[1])
        guard case .open = breakers.state(of: "m") else { Issue.record("did not open"); return }
        clock.advance(by: .seconds(1))
        let trial = try ticket(breakers)
        // The third early call ends now, successfully: it does not close the half-open circuit.
        breakers.record(.success, for: "m", ticket: early[2])
        #expect(breakers.state(of: "m") == .halfOpen(trialInFlight: true))
        breakers.record(.success, for: "m", ticket: trial)
        #expect(breakers.state(of: "m") == .closed(consecutiveFailures: 0))
        // A late failure from before the circuit opened does not count against the new one.
        breakers.record(.failure, for: "m", ticket: early[2])
        #expect(breakers.state(of: "m") == .closed(consecutiveFailures: 0))
    }

    @Test func aNeutralTrialGivesTheTrialToTheNextCaller() throws {
        let breakers = registry(failures: 1)
        breakers.record(.failure, for: "m", ticket: try ticket(breakers))
        clock.advance(by: .seconds(1))
        let trial = try ticket(breakers)
        breakers.record(.neutral, for: "m", ticket: trial)
        #expect(breakers.state(of: "m") == .halfOpen(trialInFlight: false))
        let next = try ticket(breakers)
        #expect(next.isTrial)
        breakers.record(.success, for: "m", ticket: next)
        #expect(breakers.state(of: "m") == .closed(consecutiveFailures: 0))
    }

    @Test func neutralOutcomesNeverOpenTheCircuit() throws {
        let breakers = registry(failures: 1)
        for _ in 0..<10 { breakers.record(.neutral, for: "m", ticket: try ticket(breakers)) }
        #expect(breakers.state(of: "m") == .closed(consecutiveFailures: 0))
    }
}
