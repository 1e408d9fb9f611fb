import Foundation
import Registry
import Testing

/// The queue's state machine without I/O: every transition against an injected time.
@Suite struct QueueTransitionTests {
    static let t0 = Date(timeIntervalSince1970: 1_000_000)
    static let policy = RetryPolicy()

    static func job(maxAttempts: Int = 3, lease: Lease? = nil) -> AsyncJob {
        AsyncJob(
            id: "a1", function: "f", version: nil, trigger: .async, maxAttempts: maxAttempts, runAfter: t0, lease: lease,
            request: StoredRequest(method: "POST", path: "", query: "", headers: [], body: Array("x".utf8)), created: t0)
    }

    static func outcome(_ attempt: Int, ok: Bool, at time: Date) -> AttemptRecord {
        AttemptRecord(
            attempt: attempt, status: ok ? .succeeded : .failed, error: ok ? nil : "function_error", message: nil, logs: "",
            node: "n", runUs: 1, finished: time)
    }

    @Test func aClaimedJobStartsAndSucceeds() throws {
        let claimed = try #require(Self.job().claimed(by: "p1", node: "n", now: Self.t0, expires: Self.t0 + 30))
        #expect(claimed.lease == Lease(owner: "p1", node: "n", expires: Self.t0 + 30))
        #expect(claimed.claimed(by: "p2", node: "m", now: Self.t0 + 1, expires: Self.t0 + 31) == nil, "a live lease is exclusive")
        #expect(claimed.started(by: "p2", now: Self.t0 + 1) == nil, "only the lease holder starts it")
        let running = try #require(claimed.started(by: "p1", now: Self.t0 + 1))
        #expect(running.state == .running && running.attempts == 1)
        let (done, finish) = try #require(
            running.finished(by: "p1", attempt: 1, record: Self.outcome(1, ok: true, at: Self.t0 + 2), now: Self.t0 + 2,
                policy: Self.policy, jitter: 0))
        #expect(finish == .succeeded)
        #expect(done.state == .succeeded && done.lease == nil && done.history.count == 1)
    }

    @Test func completionIsFencedOnOwnerAndAttempt() throws {
        let running = try #require(
            Self.job().claimed(by: "p1", node: "n", now: Self.t0, expires: Self.t0 + 30)?.started(by: "p1", now: Self.t0))
        let record = Self.outcome(1, ok: true, at: Self.t0 + 1)
        #expect(running.finished(by: "p2", attempt: 1, record: record, now: Self.t0 + 1, policy: Self.policy, jitter: 0) == nil)
        #expect(running.finished(by: "p1", attempt: 2, record: record, now: Self.t0 + 1, policy: Self.policy, jitter: 0) == nil)
        // The lease ran out and another process took the job: the first holder's late answer changes nothing.
        let (requeued, _) = try #require(running.expired(now: Self.t0 + 31))
        let taken = try #require(requeued.claimed(by: "p2", node: "m", now: Self.t0 + 31, expires: Self.t0 + 61))
        let second = try #require(taken.started(by: "p2", now: Self.t0 + 31))
        #expect(second.finished(by: "p1", attempt: 1, record: record, now: Self.t0 + 32, policy: Self.policy, jitter: 0) == nil)
        #expect(second.finished(by: "p1", attempt: 2, record: record, now: Self.t0 + 32, policy: Self.policy, jitter: 0) == nil)
        #expect(second.finished(by: "p2", attempt: 2, record: record, now: Self.t0 + 32, policy: Self.policy, jitter: 0) != nil)
    }

    @Test func failuresRetryWithBackoffThenDie() throws {
        var job = Self.job(maxAttempts: 3)
        var now = Self.t0
        var delays: [Double] = []
        for attempt in 1...3 {
            job = try #require(job.claimed(by: "p", node: "n", now: now, expires: now + 30)?.started(by: "p", now: now))
            let (next, finish) = try #require(
                job.finished(by: "p", attempt: attempt, record: Self.outcome(attempt, ok: false, at: now), now: now,
                    policy: Self.policy, jitter: 0))
            job = next
            if attempt < 3 {
                guard case .retry(let at) = finish else { Issue.record("attempt \(attempt): \(finish)"); return }
                #expect(job.state == .queued && job.lease == nil)
                #expect(job.claimed(by: "p", node: "n", now: at - 0.001, expires: at + 30) == nil, "not before its time")
                delays.append(at.timeIntervalSince(now))
                now = at
            } else {
                #expect(finish == .dead)
            }
        }
        #expect(delays == [1, 2])
        #expect(job.state == .dead && job.attempts == 3 && job.history.map(\.attempt) == [1, 2, 3])
    }

    @Test(arguments: [(1, 1.0), (2, 2.0), (3, 4.0), (9, 256.0), (10, 300.0), (40, 300.0)])
    func backoffDoublesToItsCap(attempt: Int, seconds: Double) {
        #expect(Self.policy.delay(afterAttempt: attempt, unit: 0) == seconds)
        #expect(abs(Self.policy.delay(afterAttempt: attempt, unit: 1) - seconds * 1.2) < 1e-9)
        #expect(abs(Self.policy.delay(afterAttempt: attempt, unit: -1) - seconds * 0.8) < 1e-9)
    }

    @Test func anExpiredLeaseRequeuesAndCountsALostAttempt() throws {
        let queued = try #require(Self.job(maxAttempts: 2).claimed(by: "p", node: "n", now: Self.t0, expires: Self.t0 + 30))
        #expect(queued.expired(now: Self.t0 + 29) == nil, "a live lease is not expired")
        let (free, freeFinish) = try #require(queued.expired(now: Self.t0 + 30))
        #expect(free.lease == nil && free.attempts == 0 && free.history.isEmpty && freeFinish == .retry(at: Self.t0))

        let running = try #require(queued.started(by: "p", now: Self.t0 + 1))
        let (again, finish) = try #require(running.expired(now: Self.t0 + 40))
        #expect(again.state == .queued && again.attempts == 1 && finish == .retry(at: Self.t0 + 40))
        #expect(again.history.first?.error == "unavailable")
        let second = try #require(
            again.claimed(by: "q", node: "m", now: Self.t0 + 40, expires: Self.t0 + 70)?.started(by: "q", now: Self.t0 + 40))
        let (dead, lastFinish) = try #require(second.expired(now: Self.t0 + 70))
        #expect(lastFinish == .dead && dead.state == .dead && dead.attempts == 2)
    }

    @Test func aRestartedNodeRecoversItsPredecessorsJobsAtOnce() throws {
        let held = try #require(Self.job().claimed(by: "n#old", node: "n", now: Self.t0, expires: Self.t0 + 30))
        #expect(held.recovered(node: "n", exceptOwner: "n#old", now: Self.t0 + 1) == nil, "its own are not")
        #expect(held.recovered(node: "m", exceptOwner: "m#new", now: Self.t0 + 1) == nil, "another node's are not")
        let (free, _) = try #require(held.recovered(node: "n", exceptOwner: "n#new", now: Self.t0 + 1))
        #expect(free.lease == nil && free.isClaimable(now: Self.t0 + 1))
    }

    @Test func releaseGivesBackWithoutCountingAndRetryRevivesTheDead() throws {
        let claimed = try #require(Self.job().claimed(by: "p", node: "n", now: Self.t0, expires: Self.t0 + 30))
        let released = try #require(claimed.released(by: "p", now: Self.t0, delay: 0.25))
        #expect(released.attempts == 0 && released.lease == nil && released.runAfter == Self.t0 + 0.25)
        #expect(claimed.released(by: "other", now: Self.t0, delay: 0) == nil)
        #expect(claimed.retried(now: Self.t0, retries: 2) == nil, "only a dead job is retried")

        var dead = claimed
        dead.state = .dead
        dead.attempts = 3
        dead.lease = nil
        let revived = try #require(dead.retried(now: Self.t0 + 5, retries: 2))
        #expect(revived.state == .queued && revived.trigger == .retry && revived.maxAttempts == 6)
        #expect(revived.isClaimable(now: Self.t0 + 5))
    }
}
