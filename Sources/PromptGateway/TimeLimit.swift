import Synchronization

/// Runs `operation`, or throws `timedOut` after `timeout` without waiting for it: a database
/// that hangs must not hold its caller. The operation is cancelled when the time is up.
func withTimeLimit<T: Sendable>(
    _ timeout: Duration, timedOut: any Error, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = TimeLimitRace<T>()
    return try await withCheckedThrowingContinuation { (waiting: CheckedContinuation<T, any Error>) in
        race.start(waiting, timeout: timeout, timedOut: timedOut, operation)
    }
}

/// The operation and the timer of `withTimeLimit`: whichever ends first resumes the caller; the
/// timer cancels a hung operation, the operation's end cancels the timer.
private final class TimeLimitRace<T: Sendable>: Sendable {
    private struct State {
        var waiting: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func start(
        _ waiting: CheckedContinuation<T, any Error>, timeout: Duration, timedOut: any Error,
        _ operation: @escaping @Sendable () async throws -> T
    ) {
        state.withLock { $0.waiting = waiting }
        let work = Task {
            do {
                self.finish(.success(try await operation()))
            } catch {
                self.finish(.failure(error))
            }
            self.state.withLock { $0.timer }?.cancel()
        }
        let timer = Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            if self.finish(.failure(timedOut)) {
                self.state.withLock { $0.work }?.cancel()
            }
        }
        state.withLock { state in
            state.work = work
            state.timer = timer
        }
    }

    @discardableResult
    private func finish(_ result: Result<T, any Error>) -> Bool {
        guard let waiting = state.withLock({ $0.waiting.take() }) else { return false }
        waiting.resume(with: result)
        return true
    }
}
