import Synchronization

/// Where the scheduler reads the time for keep-alive and idle bookkeeping.
///
/// Injectable so that keep-alive expiry and scale to zero are tested without sleeping.
/// Invocation deadlines always use the real continuous clock: the sandbox enforces them.
public protocol SchedulerClock: Sendable {
    func now() -> ContinuousClock.Instant
}

/// The real clock.
public struct ContinuousSchedulerClock: SchedulerClock {
    public init() {}
    public func now() -> ContinuousClock.Instant { .now }
}

extension SchedulerClock where Self == ContinuousSchedulerClock {
    /// The real clock.
    public static var continuous: ContinuousSchedulerClock { ContinuousSchedulerClock() }
}

/// A clock that moves only when told to, for tests of keep-alive and eviction.
public final class ManualSchedulerClock: SchedulerClock {
    private let offset = Mutex<Duration>(.zero)
    private let origin = ContinuousClock.now

    public init() {}

    public func now() -> ContinuousClock.Instant {
        origin + offset.withLock { $0 }
    }

    /// Moves the clock forward by `duration`.
    public func advance(by duration: Duration) {
        offset.withLock { $0 += duration }
    }
}
