import EndpointModel
import Synchronization

/// The failures `promptc drill` injects inside the gateway (gateway-contract.md, promptc drill):
/// per endpoint, one step of its chain fails every try with one failure class, without calling
/// its provider. Endpoints are drilled side by side, each with its own fault. Nil in a served
/// gateway, so serving pays one nil check.
public final class FaultInjector: Sendable {
    public struct Fault: Sendable, Hashable {
        public var endpoint: String
        /// The index of the failing step in the endpoint's chain.
        public var step: Int
        public var failure: FailureClass

        public init(endpoint: String, step: Int, failure: FailureClass) {
            self.endpoint = endpoint
            self.step = step
            self.failure = failure
        }
    }

    private let faults = Mutex<[String: Fault]>([:])

    public init() {}

    /// The fault for the endpoint's next requests.
    public func inject(_ fault: Fault) {
        faults.withLock { $0[fault.endpoint] = fault }
    }

    /// No fault for the endpoint.
    public func clear(endpoint: String) {
        faults.withLock { $0[endpoint] = nil }
    }

    /// How step `index` of `endpoint`'s chain fails now, if it does.
    func failure(endpoint: String, step index: Int) -> FailureClass? {
        faults.withLock { faults in
            guard let fault = faults[endpoint], fault.step == index else { return nil }
            return fault.failure
        }
    }

    /// Fails the attempt as step `step` of `endpoint` is set to fail, if it is: a timeout
    /// takes the attempt's whole timeout, as a real one does, so the drill measures the chain
    /// against its deadline. Neutral for the circuit: one drill run must not open it for the next.
    func failIfInjected(endpoint: String, step: ChainStep, timeout: Duration) async throws(AttemptFailure) {
        guard let injected = failure(endpoint: endpoint, step: step.position) else { return }
        if injected == .timeout {
            do { try await Task.sleep(for: timeout) } catch { throw AttemptFailure(.connection, "cancelled") }
        }
        var failure = AttemptFailure(injected, "injected by promptc drill")
        failure.countsTowardsCircuit = false
        throw failure
    }
}
