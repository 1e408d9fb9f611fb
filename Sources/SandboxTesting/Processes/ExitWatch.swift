import Synchronization

/// The exit status of one child process, set once, and the tasks waiting for it.
final class ExitWatch: Sendable {
    private struct State {
        var status: Int32?
        var waiters: [Int: CheckedContinuation<Int32?, Never>] = [:]
        var timers: [Int: Task<Void, Never>] = [:]
        var lastWaiter = 0
    }

    private let state = Mutex(State())

    /// The exit status; nil until ``finish(_:)``.
    var status: Int32? { state.withLock { $0.status } }

    /// Records the status (the first one only) and wakes every waiter.
    func finish(_ status: Int32) {
        let (waiters, timers) = state.withLock { state in
            if state.status == nil { state.status = status }
            defer {
                state.waiters = [:]
                state.timers = [:]
            }
            return (Array(state.waiters.values), Array(state.timers.values))
        }
        for timer in timers { timer.cancel() }
        for waiter in waiters { waiter.resume(returning: status) }
    }

    /// Waits for ``finish(_:)``, at most `timeout` (nil: as long as it takes).
    ///
    /// - Returns: the status; nil when the timeout passed first.
    func wait(timeout: Duration?) async -> Int32? {
        await withCheckedContinuation { continuation in
            let (id, finished) = state.withLock { state -> (Int, Int32?) in
                if let status = state.status { return (0, status) }
                state.lastWaiter += 1
                state.waiters[state.lastWaiter] = continuation
                return (state.lastWaiter, nil)
            }
            if let finished {
                continuation.resume(returning: finished)
                return
            }
            guard let timeout else { return }
            let timer = Task { [self] in
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                expire(id)
            }
            let late = state.withLock { state in
                guard state.waiters[id] != nil else { return true }
                state.timers[id] = timer
                return false
            }
            if late { timer.cancel() }
        }
    }

    /// Gives up waiter `id` (its timeout passed): it is resumed with nil if the exit has not woken it.
    private func expire(_ id: Int) {
        let waiter = state.withLock { state in
            state.timers[id] = nil
            return state.waiters.removeValue(forKey: id)
        }
        waiter?.resume(returning: nil)
    }
}
