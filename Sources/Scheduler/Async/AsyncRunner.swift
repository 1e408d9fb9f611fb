import Dispatch
public import Foundation
public import Logging
import Registry
public import Sandbox
import Synchronization

/// Runs durable async activations: stores each before its 202, runs it under a lease, stores
/// every attempt's outcome with a fenced update, retries failures with backoff and dead-letters
/// what is out of attempts; also makes each schedule tick into an activation.
///
/// The queue in the registry is the source of truth; what this holds in memory is what runs now
/// and one timer for the next activation that becomes due. Nothing polls while idle but the lease
/// sweep (every ``AsyncConfiguration/sweepInterval``).
///
/// ```swift
/// let runner = AsyncRunner(scheduler: scheduler, logger: logger)
/// await runner.start()                 // re-queues what a previous process of this node held
/// let accepted = await runner.accept(function: "hello", version: nil, request: request, idempotencyKey: nil)
/// ```
public final class AsyncRunner: Sendable {
    let scheduler: Scheduler
    let queue: any AsyncQueueStore
    let configuration: AsyncConfiguration
    let logger: Logger
    /// This node's name (leases, records).
    public let node: String
    /// This process's lease owner: the node and a random id drawn at start, so a restarted node
    /// can tell its predecessor's leases from its own.
    let owner: String
    let clock: @Sendable () -> Date
    let timer = Mutex(TimerState())
    let schedules = Mutex(ScheduleState())
    let sweeper = Mutex<Task<Void, Never>?>(nil)
    /// Attempts started whose outcome is not stored yet.
    let inFlight = Mutex(0)

    struct TimerState {
        /// When the armed wake-up fires, if one is armed.
        var armed: Date?
        var claiming = false
        var claimAgain = false
        var stopped = false
    }

    /// What `attempt.onStart` started, for the finish to wait on (both go through one writer, in order).
    final class StartMark: Sendable {
        let task = Mutex<Task<Void, Never>?>(nil)
    }

    /// An async invocation's fate at acceptance.
    public enum Acceptance: Sendable {
        /// Stored; the id to answer 202 with (the first activation's for a repeated `Idempotency-Key`).
        case accepted(activation: String)
        case refused(SchedulerFailure)
    }

    /// - Parameters:
    ///   - clock: wall-clock time (inject a fixed one in tests of the timing).
    public init(
        scheduler: Scheduler, configuration: AsyncConfiguration = .init(), logger: Logger,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.scheduler = scheduler
        self.queue = scheduler.registry.queue
        self.configuration = configuration
        self.logger = logger
        self.node = scheduler.configuration.node
        var random = SystemRandomNumberGenerator()
        self.owner = "\(scheduler.configuration.node)#\(String(random.next() as UInt64, radix: 36))"
        self.clock = clock
    }

    // MARK: - Lifecycle

    /// Re-queues what an earlier process of this node held, arms the wake-up for what is due,
    /// starts the lease sweep and the schedules.
    public func start() async {
        await sweep()
        wake(at: clock())
        let interval = configuration.sweepInterval
        sweeper.withLock { task in
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                    guard let self, !Task.isCancelled else { return }
                    await self.sweep()
                }
            }
        }
        await schedulesChanged()
    }

    /// Waits (at most `timeout`) until every attempt that ran has its outcome stored: after the
    /// scheduler's shutdown, before the registry closes.
    public func drain(timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while inFlight.withLock({ $0 }) > 0 && .now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops claiming and ticking. Running attempts finish through the scheduler's shutdown;
    /// what this process still holds is re-queued by the next start of this node, or by any node
    /// when its lease runs out.
    public func stop() {
        timer.withLock { $0.stopped = true }
        schedules.withLock { $0.stopped = true }
        sweeper.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    // MARK: - Accepting

    /// Stores an async invocation and starts it: answers only after the activation and its request
    /// are durable. Refuses (429) when the function's admission has no room, as a synchronous call
    /// would be; a repeated `idempotencyKey` answers the first activation's id and stores nothing.
    public func accept(
        function: String, version: Int?, request: InvocationRequest, idempotencyKey: String?
    ) async -> Acceptance {
        let runtime: VersionRuntime
        switch await scheduler.reserve(function: function, version: version) {
        case .success(let reserved): runtime = reserved
        case .failure(let failure): return .refused(failure)
        }
        let now = clock()
        let job = AsyncJob(
            id: ActivationID.make(), function: function, version: version, trigger: .async,
            maxAttempts: runtime.manifest.retries + 1, runAfter: now,
            lease: Lease(owner: owner, node: node, expires: now.addingTimeInterval(configuration.lease)),
            request: StoredRequest(request), created: now)
        let outcome: EnqueueOutcome
        do {
            outcome = try await queue.enqueue(
                job, record: queuedRecord(job, version: runtime.version), idempotencyKey: idempotencyKey, now: now)
        } catch {
            scheduler.unreserve(function: function)
            logger.error("cannot store an async activation", metadata: ["faas.function": "\(function)", "error": "\(error)"])
            return .refused(.unavailable("the activation could not be stored: \(error.message)"))
        }
        switch outcome {
        case .duplicate(let first):
            scheduler.unreserve(function: function)
            return .accepted(activation: first)
        case .accepted:
            run(job, reserved: true)
            return .accepted(activation: job.id)
        }
    }

    /// The first record of an activation: queued, no attempt yet.
    func queuedRecord(_ job: AsyncJob, version: Int) -> ActivationRecord {
        ActivationRecord(
            id: job.id, function: job.function, version: version, status: .queued, created: job.created, isAsync: true,
            attempts: 0, trigger: job.trigger, node: node)
    }

    // MARK: - Running

    /// Runs the next attempt of `job`, which this process holds.
    func run(_ job: AsyncJob, reserved: Bool) {
        let attempt = job.attempts + 1
        let mark = StartMark()
        let owner = owner
        let queue = queue
        let node = node
        let clock = clock
        // Jobs that run come from acceptance, ticks and claims, which all carry their request.
        let request = job.request?.invocationRequest ?? InvocationRequest()
        let attemptRun = AsyncAttempt(
            activation: job.id, function: job.function, version: job.version, request: request, reserved: reserved
        ) { version in
            let task = Task {
                _ = try? await queue.start(id: job.id, owner: owner, now: clock(), version: version, node: node)
            }
            mark.task.withLock { $0 = task }
        }
        inFlight.withLock { $0 += 1 }
        scheduler.runAttempt(attemptRun) { [self] answer in
            Task {
                await self.finish(job, attempt: attempt, answer: answer, mark: mark)
                self.inFlight.withLock { $0 -= 1 }
            }
        }
    }

    /// Stores the outcome of attempt `attempt` of `job` (fenced: changes nothing if this process
    /// lost the lease meanwhile), and acts on it: a retry wakes the claimer at its time.
    func finish(_ job: AsyncJob, attempt: Int, answer: InvocationAnswer, mark: StartMark) async {
        await mark.task.withLock({ $0 })?.value
        let now = clock()
        let owner = owner
        if answer.refusedAtAdmission {
            // Not an attempt: no room after all, or the node is stopping.
            return await release(job)
        }
        let result = AttemptRecord(
            attempt: attempt, status: answer.result.isSuccess ? .succeeded : .failed, error: answer.result.failureCode,
            message: answer.record?.message ?? answer.result.failureMessage, logs: answer.record?.logs ?? "",
            node: node, runUs: answer.record?.runUs ?? 0, finished: now)
        let policy = configuration.retry
        let jitter = Double.random(in: -1...1)
        let node = node
        let changed: AsyncJob?
        do {
            changed = try await queue.transition(id: job.id) { stored, _ in
                var current = stored
                // An attempt that ended before its guest started (a queue timeout, a version that
                // cannot load) still counts.
                if current.state == .queued, current.attempts == attempt - 1,
                    let started = current.started(by: owner, now: now)
                {
                    current = started
                }
                guard let (next, _) = current.finished(
                    by: owner, attempt: attempt, record: result, now: now, policy: policy, jitter: jitter)
                else { return nil }
                return (next, Self.record(after: next, attempt: answer.record, node: node))
            }
        } catch {
            // The outcome is not stored; the lease runs out and the activation runs again (at least once).
            logger.error("cannot store an async attempt", metadata: ["faas.activation": "\(job.id)", "error": "\(error)"])
            return
        }
        guard let changed else {
            logger.notice(
                "an async attempt finished after its lease was lost; its outcome is dropped",
                metadata: ["faas.activation": "\(job.id)"])
            return
        }
        switch changed.state {
        case .queued:
            scheduler.metrics.asyncRetry(function: job.function)
            wake(at: changed.runAfter)
        case .dead:
            scheduler.metrics.asyncDead(function: job.function)
        case .running, .succeeded:
            break
        }
    }

    /// The record of an activation after an attempt: the attempt's own record (timings, logs,
    /// result) with the job's status, attempts and history.
    static func record(after job: AsyncJob, attempt: ActivationRecord?, node: String) -> ActivationRecord {
        var record = ActivationRecord.following(job, stored: attempt)
        record.created = job.created
        record.node = node
        if job.state == .queued, let last = job.history.last {
            // Waiting for its retry: the failed attempt's error stays visible.
            record.error = last.error
            record.message = last.message
        }
        return record
    }

    // MARK: - Claiming

    /// Claims due activations at `date` (now when it has passed), unless an earlier wake-up is armed.
    func wake(at date: Date) {
        let delay = max(0, date.timeIntervalSince(clock()))
        let arm: Bool = timer.withLock { state in
            guard !state.stopped else { return false }
            if let armed = state.armed, armed <= date { return false }
            state.armed = date
            return true
        }
        guard arm else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self else { return }
            let fire: Bool = self.timer.withLock { state in
                guard state.armed == date else { return false }  // superseded by an earlier one
                state.armed = nil
                return true
            }
            if fire { Task { await self.claim() } }
        }
    }

    /// Claims what is due, in batches, and starts each where its function has room; then arms
    /// the wake-up for the next due activation. One claim runs at a time.
    func claim() async {
        let go: Bool = timer.withLock { state in
            guard !state.stopped else { return false }
            if state.claiming {
                state.claimAgain = true
                return false
            }
            state.claiming = true
            return true
        }
        guard go else { return }
        var full = false
        repeat {
            let now = clock()
            let claimed: [AsyncJob]
            do {
                claimed = try await queue.claimDue(
                    owner: owner, node: node, now: now, expires: now.addingTimeInterval(configuration.lease),
                    limit: configuration.claimBatch)
            } catch {
                logger.error("cannot claim async activations", metadata: ["error": "\(error)"])
                claimed = []
            }
            for job in claimed { await start(job) }
            full = claimed.count == configuration.claimBatch
        } while full || timer.withLock({ state in
            defer { state.claimAgain = false }
            return state.claimAgain
        })
        timer.withLock { $0.claiming = false }
        if let next = try? await queue.nextDue() { wake(at: next) }
    }

    /// Starts a claimed activation in a reserved place, or gives it back for a while when its
    /// function has no room.
    private func start(_ job: AsyncJob) async {
        switch await scheduler.reserve(function: job.function, version: job.version) {
        case .success:
            run(job, reserved: true)
        case .failure(let failure) where failure.code == "too_many_requests" || failure.code == "unavailable":
            await release(job)
        case .failure:
            // Removed, or its version cannot load: the attempt runs (and fails, and counts).
            run(job, reserved: false)
        }
    }

    /// Gives `job` back without an attempt counting: queued again for any node after
    /// ``AsyncConfiguration/releaseDelay``, when the claimer looks again.
    private func release(_ job: AsyncJob) async {
        let now = clock()
        let owner = owner
        let delay = configuration.releaseDelay
        _ = try? await queue.transition(id: job.id) { stored, _ in
            stored.released(by: owner, now: now, delay: delay).map { ($0, nil) }
        }
        wake(at: now.addingTimeInterval(delay))
    }

    // MARK: - Leases

    /// Renews this process's leases and re-queues those that ran out (or that an earlier process
    /// of this node held), then forgets old idempotency keys and tick claims.
    func sweep() async {
        let now = clock()
        do {
            try await queue.renewLeases(owner: owner, expires: now.addingTimeInterval(configuration.lease))
            let abandoned = try await queue.sweepLeases(now: now, node: node, owner: owner)
            for item in abandoned {
                switch item.finish {
                case .dead: scheduler.metrics.asyncDead(function: item.job.function)
                case .retry(let at): wake(at: at)
                case .succeeded: break
                }
            }
            if !abandoned.isEmpty {
                logger.notice("re-queued async activations whose leases ran out", metadata: ["faas.count": "\(abandoned.count)"])
            }
            try await queue.prune(
                keysBefore: now.addingTimeInterval(-SQLiteAsyncQueue.idempotencyWindow),
                ticksBefore: now.addingTimeInterval(-24 * 3600))
        } catch {
            logger.error("cannot sweep async leases", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - API

    /// What `POST /activations/{id}/retry` found.
    public enum RetryAnswer: Sendable, Equatable {
        case queued
        case notDead(String)
        case notFound
    }

    /// Queues dead activation `id` again with a fresh budget of attempts (the function's current `retries` + 1).
    public func retry(id: String) async throws(SchedulerFailure) -> RetryAnswer {
        let now = clock()
        let retries: Int
        do {
            guard let job = try await queue.job(id: id) else {
                return try await scheduler.onIO({ try self.scheduler.registry.activations.get(id: id) }) == nil
                    ? .notFound : .notDead("not an async activation, or no longer retryable")
            }
            retries = (await scheduler.manifest(function: job.function))?.retries ?? Manifest.defaultRetries
        } catch let failure as SchedulerFailure {
            throw failure
        } catch {
            throw .unavailable("\(error)")
        }
        let outcome: RetryOutcome
        do {
            outcome = try await queue.retry(id: id, now: now, retries: retries)
        } catch {
            throw .unavailable(error.message)
        }
        switch outcome {
        case .queued:
            wake(at: now)
            return .queued
        case .notDead(let state): return .notDead(state?.rawValue ?? "unknown")
        case .notFound: return .notFound
        }
    }

    /// `faas_async_queue_depth`, read from the queue and published to the metrics (0 for every
    /// loaded function with nothing waiting).
    public func publishDepths() async {
        guard var depths = try? await queue.depths() else { return }
        for function in scheduler.state.withLock({ Array($0.functions.keys) }) where depths[function] == nil {
            depths[function] = 0
        }
        scheduler.metrics.asyncDepths(depths)
    }
}

extension StoredRequest {
    init(_ request: InvocationRequest) {
        self.init(method: request.method, path: request.path, query: request.query, headers: request.headers, body: request.body)
    }

    var invocationRequest: InvocationRequest {
        InvocationRequest(method: method, path: path, query: query, headers: headers, body: body)
    }
}

extension Result where Failure == SchedulerFailure {
    var failureMessage: String? {
        if case .failure(let failure) = self { return failure.message }
        return nil
    }
}
