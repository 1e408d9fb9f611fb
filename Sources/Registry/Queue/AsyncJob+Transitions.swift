public import Foundation

/// The queue's state machine: every transition is a pure function of the job, the event and the
/// time, answering the job after it, or `nil` when the event does not apply (a late writer whose
/// lease expired or was taken over changes nothing: the fence). The stores read a job, apply one
/// of these inside a transaction and write back what it answers.
extension AsyncJob {
    /// Whether a node may claim the job at `now`: queued, due, and held by no live lease.
    public func isClaimable(now: Date) -> Bool {
        state == .queued && runAfter <= now && (lease.map { $0.expires <= now } ?? true)
    }

    /// `owner` takes the job until `expires`.
    public func claimed(by owner: String, node: String, now: Date, expires: Date) -> AsyncJob? {
        guard isClaimable(now: now) else { return nil }
        var job = self
        job.lease = Lease(owner: owner, node: node, expires: expires)
        return job
    }

    /// The lease holder starts attempt `attempts + 1`.
    public func started(by owner: String, now: Date) -> AsyncJob? {
        guard state == .queued, let lease, lease.owner == owner, lease.expires > now else { return nil }
        var job = self
        job.state = .running
        job.attempts += 1
        return job
    }

    /// What a finished attempt leads to.
    public enum Finish: Sendable, Equatable {
        case succeeded
        /// Queued again, due at this instant.
        case retry(at: Date)
        case dead
    }

    /// The lease holder finishes attempt `attempt` with `record` (fenced on owner and attempt).
    /// A failure is retried after the policy's delay while attempts are left, else the job is dead.
    /// - Parameter jitter: a value in -1…1 drawn by the caller (0 in tests that want exact times).
    public func finished(
        by owner: String, attempt: Int, record: AttemptRecord, now: Date, policy: RetryPolicy, jitter: Double
    ) -> (job: AsyncJob, finish: Finish)? {
        guard state == .running, lease?.owner == owner, attempts == attempt else { return nil }
        var job = self
        job.history.append(record)
        job.lease = nil
        if record.status == .succeeded {
            job.state = .succeeded
            return (job, .succeeded)
        }
        guard job.attempts < job.maxAttempts else {
            job.state = .dead
            return (job, .dead)
        }
        job.state = .queued
        job.runAfter = now.addingTimeInterval(policy.delay(afterAttempt: attempt, unit: jitter))
        return (job, .retry(at: job.runAfter))
    }

    /// The lease holder gives the job back without an attempt counting (admission was full, or
    /// the node is shutting down before it ran): queued again, due after `delay` seconds.
    public func released(by owner: String, now: Date, delay: Double) -> AsyncJob? {
        guard state == .queued, lease?.owner == owner else { return nil }
        var job = self
        job.lease = nil
        job.runAfter = now.addingTimeInterval(delay)
        return job
    }

    /// The lease ran out (its node died, or stopped renewing): a queued job is free again; a
    /// running one lost its attempt, which counts, and runs again at once if attempts are left.
    public func expired(now: Date) -> (job: AsyncJob, finish: Finish)? {
        guard let lease, lease.expires <= now, state == .queued || state == .running else { return nil }
        return abandoned(now: now, node: lease.node, reason: "its lease expired (node \(lease.node) stopped)")
    }

    /// The same as ``expired(now:)`` for the jobs a node held before it restarted, which need not
    /// wait for their leases: that process is gone.
    public func recovered(node: String, exceptOwner owner: String, now: Date) -> (job: AsyncJob, finish: Finish)? {
        guard let lease, lease.node == node, lease.owner != owner, state == .queued || state == .running else {
            return nil
        }
        return abandoned(now: now, node: node, reason: "node \(node) restarted while it held the activation")
    }

    private func abandoned(now: Date, node: String, reason: String) -> (job: AsyncJob, finish: Finish) {
        var job = self
        job.lease = nil
        guard state == .running else { return (job, .retry(at: job.runAfter)) }
        job.history.append(
            AttemptRecord(
                attempt: attempts, status: .failed, error: "unavailable", message: "attempt \(attempts) was lost: \(reason)",
                logs: "", node: node, runUs: 0, finished: now))
        guard attempts < maxAttempts else {
            job.state = .dead
            return (job, .dead)
        }
        job.state = .queued
        job.runAfter = now
        return (job, .retry(at: now))
    }

    /// `POST /activations/{id}/retry`: a dead job is queued again with a fresh budget of
    /// `retries` + 1 attempts.
    public func retried(now: Date, retries: Int) -> AsyncJob? {
        guard state == .dead else { return nil }
        var job = self
        job.state = .queued
        job.trigger = .retry
        job.maxAttempts = attempts + retries + 1
        job.runAfter = now
        job.lease = nil
        return job
    }
}
