public import Registry

/// How durable async activations are leased, swept and retried.
public struct AsyncConfiguration: Sendable {
    /// How long a claimed activation is held without renewal (30 s). A node that dies holds its
    /// activations this long at most before another process runs them again.
    public var lease: Double
    /// How often leases are renewed and expired ones re-queued (every 5 s).
    public var sweepInterval: Double
    /// Delays between attempts (1 s, 2 s, 4 s … up to 5 min, ±20 %).
    public var retry: RetryPolicy
    /// Activations claimed in one go (64).
    public var claimBatch: Int
    /// How long an activation given back for want of room waits before it is claimed again (0.25 s).
    public var releaseDelay: Double

    public init(
        lease: Double = 30, sweepInterval: Double = 5, retry: RetryPolicy = .init(), claimBatch: Int = 64,
        releaseDelay: Double = 0.25
    ) {
        self.lease = lease
        self.sweepInterval = sweepInterval
        self.retry = retry
        self.claimBatch = claimBatch
        self.releaseDelay = releaseDelay
    }
}
