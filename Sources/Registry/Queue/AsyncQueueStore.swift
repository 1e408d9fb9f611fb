public import Foundation

/// What ``AsyncQueueStore/enqueue(_:record:idempotencyKey:now:)`` did.
public enum EnqueueOutcome: Sendable, Equatable {
    /// Stored: the activation will run.
    case accepted
    /// The function had an activation with the same `Idempotency-Key` in the last 24 h: that one's
    /// id, and nothing was stored.
    case duplicate(activation: String)
}

/// What ``AsyncQueueStore/retry(id:now:retries:)`` found.
public enum RetryOutcome: Sendable, Equatable {
    case queued(AsyncJob)
    /// The activation exists but is not dead.
    case notDead(QueueState?)
    case notFound
}

/// A job a lease sweep changed, and what became of it.
public struct AbandonedJob: Sendable, Equatable {
    public var job: AsyncJob
    public var finish: AsyncJob.Finish

    public init(job: AsyncJob, finish: AsyncJob.Finish) {
        self.job = job
        self.finish = finish
    }
}

/// The durable queue of async activations and the claims of schedule ticks: SQLite
/// (``SQLiteAsyncQueue``) here; a shared database implements the same operations.
///
/// Every operation is one transaction and durable when it returns. Each changes jobs only through
/// the pure transitions of `AsyncJob+Transitions.swift`, applied to the job as stored inside the
/// transaction, and writes the activation's record (in the activations store) in the same
/// transaction, so the record and the queue never disagree after a crash.
public protocol AsyncQueueStore: Sendable {
    /// Stores a new job and its first record (status `queued`). With `idempotencyKey`, a key the
    /// job's function used in the last 24 h answers that activation's id instead, storing nothing.
    func enqueue(
        _ job: AsyncJob, record: ActivationRecord, idempotencyKey: String?, now: Date
    ) async throws(RegistryError) -> EnqueueOutcome

    /// Applies `change` to job `id` as stored (without its request): it answers the job to write and, optionally, the
    /// activation record to write with it, or `nil` to change nothing. Its second argument reads
    /// the stored record, for a change that needs it. A job whose state is final and not dead is
    /// deleted instead of written (its record holds all that is left of it).
    /// - Returns: the job written, or `nil` when there was no such job or `change` declined.
    func transition(
        id: String, _ change: @escaping @Sendable (AsyncJob, () -> ActivationRecord?) -> (AsyncJob, ActivationRecord?)?
    ) async throws(RegistryError) -> AsyncJob?

    /// The lease holder `owner` starts the next attempt of job `id` (``AsyncJob/started(by:now:)``);
    /// its record says `running`, at `version`, on `node`.
    /// - Returns: the job started, or `nil` when `owner` does not hold it any more.
    func start(id: String, owner: String, now: Date, version: Int, node: String) async throws(RegistryError) -> AsyncJob?

    /// Claims up to `limit` due jobs (queued, `run_after` passed, no live lease), oldest due first,
    /// for `owner` until `expires`.
    func claimDue(owner: String, node: String, now: Date, expires: Date, limit: Int) async throws(RegistryError) -> [AsyncJob]

    /// Frees every job whose lease ran out by `now` (``AsyncJob/expired(now:)``), and every job
    /// held by an earlier process of `node` (``AsyncJob/recovered(node:exceptOwner:now:)``), updating
    /// their records.
    func sweepLeases(now: Date, node: String, owner: String) async throws(RegistryError) -> [AbandonedJob]

    /// Extends every lease `owner` holds to `expires`.
    func renewLeases(owner: String, expires: Date) async throws(RegistryError)

    /// When the next queued job without a live lease becomes due (`nil`: none is queued).
    func nextDue() async throws(RegistryError) -> Date?

    /// Activations not final yet (queued or running), per function (`faas_async_queue_depth`).
    func depths() async throws(RegistryError) -> [String: Int]

    /// The job `id`, or `nil`.
    func job(id: String) async throws(RegistryError) -> AsyncJob?

    /// Queues dead job `id` again with a fresh budget of `retries` + 1 attempts, updating its record.
    func retry(id: String, now: Date, retries: Int) async throws(RegistryError) -> RetryOutcome

    /// Claims `tick` of `function`'s schedule and, when this call is the first to claim it, stores
    /// `job` (and `record`) in the same transaction.
    /// - Returns: whether this call claimed the tick (with several nodes, exactly one does).
    func claimTick(function: String, tick: Date, job: AsyncJob, record: ActivationRecord) async throws(RegistryError) -> Bool

    /// Finishes what was submitted and closes; later calls fail.
    func close()

    /// Forgets idempotency keys older than `keysBefore` and tick claims older than `ticksBefore`.
    func prune(keysBefore: Date, ticksBefore: Date) async throws(RegistryError)
}
