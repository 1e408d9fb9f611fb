import Foundation
import Registry
import RegistryPostgres
import Sandbox
import Testing

/// One backend of the durable queue, opened fresh for a test.
struct QueueBackend: Sendable, CustomStringConvertible {
    var description: String
    /// The queue and the activation store it writes records to, and a closing function.
    var open: @Sendable () throws -> (queue: any AsyncQueueStore, activations: any ActivationStore, close: @Sendable () -> Void)

    static let sqlite = QueueBackend(description: "SQLite") {
        let folder = try TemporaryDirectory()
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        let queue = SQLiteAsyncQueue(store: store)
        return (queue, store, { queue.close(); store.close(); folder.remove() })
    }

    static let postgres = QueueBackend(description: "PostgreSQL") {
        let database = try TestRegistryDatabase()
        let queue = PostgresAsyncQueue(database: database.database, logger: database.logger)
        let store = PostgresFunctionStore(database: database.database, logger: database.logger)
        return (queue, store, { database.close() })
    }

    /// Every backend the queue has; a new one joins here and runs the whole suite.
    static let all: [QueueBackend] = [.sqlite, .postgres]
}

/// The queue's operations against each backend, with an injected time: the SQL persists exactly
/// the transitions of the state machine, fenced, together with the activation records.
@Suite struct AsyncQueueStoreTests {
    static let t0 = Date(timeIntervalSince1970: 2_000_000)

    static func job(_ id: String, function: String = "f", maxAttempts: Int = 3, lease: Lease?, at time: Date = t0) -> AsyncJob {
        AsyncJob(
            id: id, function: function, version: nil, trigger: .async, maxAttempts: maxAttempts, runAfter: time,
            lease: lease,
            request: StoredRequest(
                method: "PUT", path: "/a/b", query: "x=1", headers: [HTTPField(name: "X-One", value: "1")],
                body: [0, 1, 2, 255]),
            created: time)
    }

    static func record(_ job: AsyncJob) -> ActivationRecord {
        ActivationRecord(
            id: job.id, function: job.function, version: 1, status: .queued, created: job.created, isAsync: true,
            attempts: 0, trigger: job.trigger, node: "n")
    }

    static func lease(_ owner: String = "p", until: Date = t0 + 30) -> Lease {
        Lease(owner: owner, node: "n", expires: until)
    }

    @Test(arguments: QueueBackend.all)
    func anEnqueuedJobIsStoredWithItsRequestAndRecord(backend: QueueBackend) async throws {
        let (queue, activations, close) = try backend.open()
        defer { close() }
        let job = Self.job("a", lease: Self.lease())
        #expect(try await queue.enqueue(job, record: Self.record(job), idempotencyKey: nil, now: Self.t0) == .accepted)
        #expect(try await queue.job(id: "a") == job)
        #expect(try activations.activation(id: "a")?.status == .queued)
        #expect(try activations.activation(id: "a")?.trigger == .async)
        #expect(try await queue.depths() == ["f": 1])
        // Held by a live lease: not due for anyone, and not counted as waiting without a lease.
        #expect(try await queue.claimDue(owner: "q", node: "m", now: Self.t0 + 1, expires: Self.t0 + 31, limit: 10).isEmpty)
        #expect(try await queue.nextDue() == nil)
    }

    @Test(arguments: QueueBackend.all)
    func idempotencyKeysAnswerTheFirstActivationFor24Hours(backend: QueueBackend) async throws {
        let (queue, _, close) = try backend.open()
        defer { close() }
        let first = Self.job("first", lease: nil)
        #expect(try await queue.enqueue(first, record: Self.record(first), idempotencyKey: "k", now: Self.t0) == .accepted)
        let second = Self.job("second", lease: nil)
        #expect(
            try await queue.enqueue(second, record: Self.record(second), idempotencyKey: "k", now: Self.t0 + 3600)
                == .duplicate(activation: "first"))
        #expect(try await queue.job(id: "second") == nil, "a duplicate stores nothing")
        let other = Self.job("other", function: "g", lease: nil)
        #expect(
            try await queue.enqueue(other, record: Self.record(other), idempotencyKey: "k", now: Self.t0) == .accepted,
            "keys are per function")
        let later = Self.job("later", lease: nil)
        #expect(
            try await queue.enqueue(later, record: Self.record(later), idempotencyKey: "k", now: Self.t0 + 24 * 3600 + 1)
                == .accepted, "an expired key is a new activation")
        try await queue.prune(keysBefore: Self.t0 + 48 * 3600, ticksBefore: Self.t0)
        let again = Self.job("again", lease: nil)
        #expect(try await queue.enqueue(again, record: Self.record(again), idempotencyKey: "k", now: Self.t0 + 2) == .accepted)
    }

    @Test(arguments: QueueBackend.all)
    func claimsTakeDueJobsOldestFirstUpToTheLimit(backend: QueueBackend) async throws {
        let (queue, _, close) = try backend.open()
        defer { close() }
        for index in 0..<5 {
            let job = Self.job("j\(index)", lease: nil, at: Self.t0 + Double(4 - index))
            _ = try await queue.enqueue(job, record: Self.record(job), idempotencyKey: nil, now: Self.t0)
        }
        #expect(try await queue.nextDue() == Self.t0)
        let first = try await queue.claimDue(owner: "p", node: "n", now: Self.t0 + 2, expires: Self.t0 + 32, limit: 2)
        #expect(first.map(\.id) == ["j4", "j3"])
        #expect(first.allSatisfy { $0.lease?.owner == "p" })
        let rest = try await queue.claimDue(owner: "q", node: "m", now: Self.t0 + 10, expires: Self.t0 + 40, limit: 10)
        #expect(rest.map(\.id) == ["j2", "j1", "j0"], "a job claimed by another live lease is not claimed again")
    }

    @Test(arguments: QueueBackend.all)
    func aFencedFinishChangesNothingForALateWriter(backend: QueueBackend) async throws {
        let (queue, activations, close) = try backend.open()
        defer { close() }
        let job = Self.job("a", lease: Self.lease("p"))
        _ = try await queue.enqueue(job, record: Self.record(job), idempotencyKey: nil, now: Self.t0)
        #expect(try await queue.start(id: "a", owner: "q", now: Self.t0 + 1, version: 1, node: "m") == nil, "not q's")
        let started = try await queue.start(id: "a", owner: "p", now: Self.t0 + 1, version: 1, node: "n")
        #expect(started?.state == .running && started?.attempts == 1 && started?.request == nil)
        #expect(try activations.activation(id: "a")?.status == .running)
        #expect(try activations.activation(id: "a")?.node == "n")
        // p's lease runs out; the sweep re-queues the job and q runs it.
        let abandoned = try await queue.sweepLeases(now: Self.t0 + 31, node: "m", owner: "q")
        #expect(abandoned.map(\.job.id) == ["a"] && abandoned.first?.finish == .retry(at: Self.t0 + 31))
        #expect(try activations.activation(id: "a")?.status == .queued)
        #expect(try activations.activation(id: "a")?.attempts == 1)
        let taken = try await queue.claimDue(owner: "q", node: "m", now: Self.t0 + 31, expires: Self.t0 + 61, limit: 1)
        #expect(taken.count == 1)
        _ = try await queue.transition(id: "a") { stored, record in stored.started(by: "q", now: Self.t0 + 32).map { ($0, record()) } }
        // p answers late: fenced out.
        let success = AttemptRecord(
            attempt: 1, status: .succeeded, error: nil, message: nil, logs: "", node: "n", runUs: 1, finished: Self.t0 + 33)
        let late = try await queue.transition(id: "a") { stored, _ in
            stored.finished(by: "p", attempt: 1, record: success, now: Self.t0 + 33, policy: RetryPolicy(), jitter: 0)
                .map { ($0.job, nil) }
        }
        #expect(late == nil)
        #expect(try await queue.job(id: "a")?.lease?.owner == "q")
        // q finishes: the job leaves the queue, its record says succeeded with both attempts.
        let done = AttemptRecord(
            attempt: 2, status: .succeeded, error: nil, message: nil, logs: "", node: "m", runUs: 1, finished: Self.t0 + 34)
        let finished = try await queue.transition(id: "a") { stored, record in
            stored.finished(by: "q", attempt: 2, record: done, now: Self.t0 + 34, policy: RetryPolicy(), jitter: 0).map {
                ($0.job, ActivationRecord.following($0.job, stored: record()))
            }
        }
        #expect(finished?.state == .succeeded)
        #expect(try await queue.job(id: "a") == nil)
        let record = try #require(try activations.activation(id: "a"))
        #expect(record.status == .succeeded && record.attempts == 2 && record.history.map(\.attempt) == [1, 2])
        #expect(try await queue.depths().isEmpty)
    }

    @Test(arguments: QueueBackend.all)
    func retryByAPIRevivesOnlyTheDead(backend: QueueBackend) async throws {
        let (queue, activations, close) = try backend.open()
        defer { close() }
        let job = Self.job("a", maxAttempts: 1, lease: Self.lease("p"))
        _ = try await queue.enqueue(job, record: Self.record(job), idempotencyKey: nil, now: Self.t0)
        #expect(try await queue.retry(id: "a", now: Self.t0, retries: 2) == .notDead(.queued))
        #expect(try await queue.retry(id: "nope", now: Self.t0, retries: 2) == .notFound)
        _ = try await queue.transition(id: "a") { stored, record in stored.started(by: "p", now: Self.t0).map { ($0, record()) } }
        let failure = AttemptRecord(
            attempt: 1, status: .failed, error: "timeout", message: "slow", logs: "x", node: "n", runUs: 1, finished: Self.t0)
        let dead = try await queue.transition(id: "a") { stored, record in
            stored.finished(by: "p", attempt: 1, record: failure, now: Self.t0, policy: RetryPolicy(), jitter: 0).map {
                ($0.job, ActivationRecord.following($0.job, stored: record()))
            }
        }
        #expect(dead?.state == .dead)
        #expect(try activations.activation(id: "a")?.status == .dead)
        #expect(try activations.activation(id: "a")?.error == "timeout")
        #expect(try await queue.depths().isEmpty, "a dead activation is not waiting")
        guard case .queued(let revived) = try await queue.retry(id: "a", now: Self.t0 + 5, retries: 2) else {
            Issue.record("not queued")
            return
        }
        #expect(revived.maxAttempts == 4 && revived.trigger == .retry)
        #expect(try await queue.job(id: "a")?.request?.body == [0, 1, 2, 255], "the request was kept while dead")
        let record = try #require(try activations.activation(id: "a"))
        #expect(record.status == .queued && record.trigger == .retry && record.error == nil)
        #expect(try await queue.claimDue(owner: "p", node: "n", now: Self.t0 + 5, expires: Self.t0 + 35, limit: 5).count == 1)
    }

    @Test(arguments: QueueBackend.all)
    func aRestartedNodeRecoversWhatItsPredecessorHeld(backend: QueueBackend) async throws {
        let (queue, _, close) = try backend.open()
        defer { close() }
        let mine = Self.job("mine", lease: Lease(owner: "n#old", node: "n", expires: Self.t0 + 30))
        let theirs = Self.job("theirs", lease: Lease(owner: "m#1", node: "m", expires: Self.t0 + 30))
        for job in [mine, theirs] { _ = try await queue.enqueue(job, record: Self.record(job), idempotencyKey: nil, now: Self.t0) }
        let recovered = try await queue.sweepLeases(now: Self.t0 + 1, node: "n", owner: "n#new")
        #expect(recovered.map(\.job.id) == ["mine"])
        try await queue.renewLeases(owner: "m#1", expires: Self.t0 + 100)
        #expect(try await queue.sweepLeases(now: Self.t0 + 50, node: "n", owner: "n#new").isEmpty, "a renewed lease holds")
        #expect(try await queue.sweepLeases(now: Self.t0 + 100, node: "n", owner: "n#new").map(\.job.id) == ["theirs"])
    }

    @Test(arguments: QueueBackend.all)
    func aTickIsClaimedOnce(backend: QueueBackend) async throws {
        let (queue, _, close) = try backend.open()
        defer { close() }
        let tick = Self.t0 + 60
        let first = Self.job("t1", lease: nil)
        let second = Self.job("t2", lease: nil)
        async let a = queue.claimTick(function: "f", tick: tick, job: first, record: Self.record(first))
        async let b = queue.claimTick(function: "f", tick: tick, job: second, record: Self.record(second))
        let claims = try await [a, b]
        #expect(claims.filter { $0 }.count == 1)
        #expect(try await queue.depths() == ["f": 1])
        let next = Self.job("t3", lease: nil)
        #expect(try await queue.claimTick(function: "f", tick: tick + 1, job: next, record: Self.record(next)))
        #expect(try await queue.claimTick(function: "g", tick: tick, job: Self.job("t4", function: "g", lease: nil),
            record: Self.record(Self.job("t4", function: "g", lease: nil))))
    }

    @Test(arguments: QueueBackend.all)
    func aFailingOperationFailsAloneInItsBatch(backend: QueueBackend) async throws {
        let (queue, _, close) = try backend.open()
        defer { close() }
        let first = Self.job("dup", lease: nil)
        _ = try await queue.enqueue(first, record: Self.record(first), idempotencyKey: nil, now: Self.t0)
        // Many at once, so that they share batches; the repeated id cannot be stored again.
        let results = await withTaskGroup(of: (String, Bool).self) { group in
            for index in 0..<60 {
                group.addTask {
                    let job = Self.job(index % 20 == 0 ? "dup" : "ok\(index)", lease: nil)
                    let stored = (try? await queue.enqueue(job, record: Self.record(job), idempotencyKey: nil, now: Self.t0)) != nil
                    return (job.id, stored)
                }
            }
            return await group.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        #expect(results.filter { $0.0 == "dup" }.allSatisfy { !$0.1 }, "a repeated id is refused")
        #expect(results.filter { $0.0 != "dup" }.allSatisfy { $0.1 }, "the rest of its batch commits")
        #expect(try await queue.depths() == ["f": 58])
    }

    @Test(arguments: QueueBackend.all)
    func concurrentEnqueuesAllCommit(backend: QueueBackend) async throws {
        let (queue, activations, close) = try backend.open()
        defer { close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let job = Self.job("c\(index)", lease: nil)
                    _ = try await queue.enqueue(job, record: Self.record(job), idempotencyKey: "k\(index % 150)", now: Self.t0)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await queue.depths() == ["f": 150], "50 keys repeated: 150 stored")
        #expect(try activations.activations(function: "f", status: .queued, limit: 1000).count == 150)
    }
}
