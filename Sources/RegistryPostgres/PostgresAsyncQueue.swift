public import Foundation
public import Logging
import NIOCore
import PostgresNIO
import Synchronization
public import Registry
import Sandbox

/// The durable async queue of a shared registry (`async_queue`, `async_keys`, `schedule_ticks`; the
/// records in `activations`), the same design as ``SQLiteAsyncQueue``: every operation is one
/// transaction that changes jobs only through the pure transitions of `AsyncJob+Transitions.swift`,
/// applied to the job as stored and locked inside it, and writes the activation's record with it.
///
/// Across nodes: claims take due rows with `FOR UPDATE SKIP LOCKED`, so two nodes never claim one
/// job and neither waits for the other; completion is fenced by the transitions (a job whose lease
/// another owner holds now declines the change); one node at a time re-queues expired leases
/// (`pg_try_advisory_xact_lock`), while every node recovers the jobs its own earlier process held.
/// A schedule's tick is one row, claimed by a unique insert: exactly one node stores its job.
public final class PostgresAsyncQueue: AsyncQueueStore {
    let database: RegistryDatabase
    private let limits: ActivationLimits
    /// Finished records are trimmed half a second after the first of a burst, not one by one: each
    /// trim reads every finished record, and async activations finish by the thousand.
    private let trimmer: DeferredTrim
    private let logger: Logger

    public init(database: RegistryDatabase, limits: ActivationLimits = .init(), logger: Logger) {
        self.database = database
        self.limits = limits
        trimmer = DeferredTrim(database: database, limits: limits, logger: logger)
        self.logger = logger
    }

    public func close() {}

    public func enqueue(
        _ job: AsyncJob, record: ActivationRecord, idempotencyKey: String?, now: Date
    ) async throws(RegistryError) -> EnqueueOutcome {
        let logger = logger
        let windowStart = now.timeIntervalSince1970 - SQLiteAsyncQueue.idempotencyWindow
        return try await database.transaction("queue activation \(job.id)") { connection in
            if let key = idempotencyKey {
                // The first activation of a key within the window keeps it; a later one reads its id.
                let taken = try await connection.query(
                    """
                    INSERT INTO async_keys (function, key, activation, created)
                    VALUES (\(job.function), \(key), \(job.id), \(now.timeIntervalSince1970))
                    ON CONFLICT (function, key) DO UPDATE SET activation = excluded.activation, created = excluded.created
                    WHERE async_keys.created <= \(windowStart)
                    RETURNING activation
                    """, logger: logger
                ).all()
                if taken.isEmpty {
                    for try await earlier in try await connection.query(
                        "SELECT activation FROM async_keys WHERE function = \(job.function) AND key = \(key)", logger: logger
                    ).decode(String.self) {
                        return .duplicate(activation: earlier)
                    }
                }
            }
            try await JobRows.insert(connection, job, logger)
            try await ActivationRows.upsert(connection, [record], logger)
            return .accepted
        }
    }

    public func transition(
        id: String,
        _ change: @escaping @Sendable (AsyncJob, () -> ActivationRecord?) -> (AsyncJob, ActivationRecord?)?
    ) async throws(RegistryError) -> AsyncJob? {
        let logger = logger
        let limits = limits
        let (job, finished) = try await database.transaction("update activation \(id)") {
            connection -> (AsyncJob?, String?) in
            guard let job = try await JobRows.fetch(connection, id: id, lock: true, logger) else { return (nil, nil) }
            let stored = try await ActivationRows.fetch(connection, id: id, logger)
            guard let (changed, record) = change(job, { stored }) else { return (nil, nil) }
            try await JobRows.save(connection, changed, logger)
            if let record { try await ActivationRows.upsert(connection, [record], logger) }
            return (changed, record.flatMap { $0.status.isFinal ? $0.function : nil })
        }
        if let finished { trimmer.add(finished) }
        return job
    }

    public func start(
        id: String, owner: String, now: Date, version: Int, node: String
    ) async throws(RegistryError) -> AsyncJob? {
        let logger = logger
        return try await database.transaction("start activation \(id)") { connection -> AsyncJob? in
            guard let started = try await JobRows.fetch(connection, id: id, lock: true, logger)?.started(by: owner, now: now)
            else { return nil }
            try await JobRows.save(connection, started, logger)
            if var record = try await ActivationRows.fetch(connection, id: id, logger) {
                record.status = .running
                record.attempts = started.attempts
                record.version = version
                record.node = node
                try await ActivationRows.upsert(connection, [record], logger)
            }
            return started
        }
    }

    public func claimDue(
        owner: String, node: String, now: Date, expires: Date, limit: Int
    ) async throws(RegistryError) -> [AsyncJob] {
        let logger = logger
        let time = now.timeIntervalSince1970
        return try await database.transaction("claim queued activations") { connection in
            let due = try await JobRows.fetchAll(
                connection,
                """
                SELECT \(unescaped: JobRows.jobColumns), \(unescaped: JobRows.requestColumns) FROM async_queue
                WHERE state = 'queued' AND run_after <= \(time) AND (lease_owner IS NULL OR lease_expires <= \(time))
                ORDER BY run_after LIMIT \(max(limit, 0)) FOR UPDATE SKIP LOCKED
                """, logger)
            var claimed: [AsyncJob] = []
            for job in due {
                guard let taken = job.claimed(by: owner, node: node, now: now, expires: expires) else { continue }
                try await JobRows.save(connection, taken, logger)
                claimed.append(taken)
            }
            return claimed
        }
    }

    public func sweepLeases(now: Date, node: String, owner: String) async throws(RegistryError) -> [AbandonedJob] {
        let logger = logger
        let time = now.timeIntervalSince1970
        return try await database.transaction("re-queue expired leases") { connection in
            var reaper = false
            for try await locked in try await connection.query(
                "SELECT pg_try_advisory_xact_lock(\(PostgresSchema.reaperLock))", logger: logger
            ).decode(Bool.self) {
                reaper = locked
            }
            let held = try await JobRows.fetchAll(
                connection,
                """
                SELECT \(unescaped: JobRows.jobColumns) FROM async_queue WHERE lease_owner IS NOT NULL
                AND ((\(reaper) AND lease_expires <= \(time)) OR (lease_node = \(node) AND lease_owner <> \(owner)))
                FOR UPDATE SKIP LOCKED
                """, logger)
            var abandoned: [AbandonedJob] = []
            var records: [ActivationRecord] = []
            for job in held {
                let change = (reaper ? job.expired(now: now) : nil) ?? job.recovered(node: node, exceptOwner: owner, now: now)
                guard let (changed, finish) = change else { continue }
                try await JobRows.save(connection, changed, logger)
                records.append(
                    ActivationRecord.following(changed, stored: try await ActivationRows.fetch(connection, id: changed.id, logger)))
                abandoned.append(AbandonedJob(job: changed, finish: finish))
            }
            try await ActivationRows.upsert(connection, records, logger)
            return abandoned
        }
    }

    public func renewLeases(owner: String, expires: Date) async throws(RegistryError) {
        let logger = logger
        try await database.run("renew leases") { connection in
            try await connection.query(
                "UPDATE async_queue SET lease_expires = \(expires.timeIntervalSince1970) WHERE lease_owner = \(owner)",
                logger: logger)
        }
    }

    public func nextDue() async throws(RegistryError) -> Date? {
        let logger = logger
        return try await database.run("read the queue") { connection in
            var next: Double?
            for try await value in try await connection.query(
                "SELECT MIN(run_after) FROM async_queue WHERE state = 'queued' AND lease_owner IS NULL", logger: logger
            ).decode(Double?.self) {
                next = value
            }
            return next.map(Date.init(timeIntervalSince1970:))
        }
    }

    public func depths() async throws(RegistryError) -> [String: Int] {
        let logger = logger
        return try await database.run("read the queue") { connection in
            var depths: [String: Int] = [:]
            for try await (function, count) in try await connection.query(
                "SELECT function, COUNT(*) FROM async_queue WHERE state IN ('queued', 'running') GROUP BY function",
                logger: logger
            ).decode((String, Int).self) {
                depths[function] = count
            }
            return depths
        }
    }

    public func job(id: String) async throws(RegistryError) -> AsyncJob? {
        let logger = logger
        return try await database.run("read activation \(id)") { connection in
            try await JobRows.fetchAll(
                connection,
                """
                SELECT \(unescaped: JobRows.jobColumns), \(unescaped: JobRows.requestColumns) FROM async_queue WHERE id = \(id)
                """, logger
            ).first
        }
    }

    public func retry(id: String, now: Date, retries: Int) async throws(RegistryError) -> RetryOutcome {
        let logger = logger
        return try await database.transaction("retry activation \(id)") { connection -> RetryOutcome in
            guard let job = try await JobRows.fetch(connection, id: id, lock: true, logger) else {
                return try await ActivationRows.fetch(connection, id: id, logger) == nil ? .notFound : .notDead(nil)
            }
            guard let queued = job.retried(now: now, retries: retries) else { return .notDead(job.state) }
            try await JobRows.save(connection, queued, logger)
            try await ActivationRows.upsert(
                connection, [ActivationRecord.following(queued, stored: try await ActivationRows.fetch(connection, id: id, logger))],
                logger)
            return .queued(queued)
        }
    }

    public func claimTick(
        function: String, tick: Date, job: AsyncJob, record: ActivationRecord
    ) async throws(RegistryError) -> Bool {
        let logger = logger
        return try await database.transaction("claim a tick of \(function)") { connection in
            let claimed = try await connection.query(
                """
                INSERT INTO schedule_ticks (function, tick, activation) VALUES (\(function), \(tick.timeIntervalSince1970), \(job.id))
                ON CONFLICT DO NOTHING RETURNING activation
                """, logger: logger
            ).all()
            guard !claimed.isEmpty else { return false }
            try await JobRows.insert(connection, job, logger)
            try await ActivationRows.upsert(connection, [record], logger)
            return true
        }
    }

    public func prune(keysBefore: Date, ticksBefore: Date) async throws(RegistryError) {
        let logger = logger
        try await database.transaction("prune keys and ticks") { connection in
            try await connection.query(
                "DELETE FROM async_keys WHERE created < \(keysBefore.timeIntervalSince1970)", logger: logger)
            try await connection.query(
                "DELETE FROM schedule_ticks WHERE tick < \(ticksBefore.timeIntervalSince1970)", logger: logger)
        }
    }
}

/// Rows of `async_queue`.
enum JobRows {
    /// The columns of a job but its request, and those of its request.
    static let jobColumns =
        "id, function, version, trigger, state, attempts, max_attempts, run_after, lease_owner, lease_node, lease_expires, history, created"
    static let requestColumns = "method, path, query, headers, body"

    /// The job `id` without its request, locked until the transaction ends when `lock`.
    static func fetch(_ connection: PostgresConnection, id: String, lock: Bool, _ logger: Logger) async throws -> AsyncJob? {
        try await fetchAll(
            connection,
            "SELECT \(unescaped: jobColumns) FROM async_queue WHERE id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")",
            logger
        ).first
    }

    static func fetchAll(_ connection: PostgresConnection, _ query: PostgresQuery, _ logger: Logger) async throws -> [AsyncJob] {
        var jobs: [AsyncJob] = []
        for try await row in try await connection.query(query, logger: logger) {
            jobs.append(try job(row.makeRandomAccess()))
        }
        return jobs
    }

    static func insert(_ connection: PostgresConnection, _ job: AsyncJob, _ logger: Logger) async throws {
        guard let request = job.request else { throw RegistryError(.unavailable, "a new activation needs its request") }
        try await connection.query(
            """
            INSERT INTO async_queue (id, function, version, trigger, state, attempts, max_attempts, run_after,
                lease_owner, lease_node, lease_expires, method, path, query, headers, body, history, created)
            VALUES (\(job.id), \(job.function), \(job.version), \(job.trigger.rawValue), \(job.state.rawValue),
                \(job.attempts), \(job.maxAttempts), \(job.runAfter.timeIntervalSince1970), \(job.lease?.owner),
                \(job.lease?.node), \(job.lease?.expires.timeIntervalSince1970), \(request.method), \(request.path),
                \(request.query), \(StoredJSON.headers(request.headers)), \(ByteBuffer(bytes: request.body)),
                \(StoredJSON.history(job.history)), \(job.created.timeIntervalSince1970))
            """, logger: logger)
    }

    /// Writes `job` back (never its request, which does not change); a succeeded job leaves the
    /// queue (its record keeps the outcome), a dead one stays with its request so that it can be retried.
    static func save(_ connection: PostgresConnection, _ job: AsyncJob, _ logger: Logger) async throws {
        if job.state == .succeeded {
            try await connection.query("DELETE FROM async_queue WHERE id = \(job.id)", logger: logger)
            return
        }
        try await connection.query(
            """
            UPDATE async_queue SET trigger = \(job.trigger.rawValue), state = \(job.state.rawValue),
                attempts = \(job.attempts), max_attempts = \(job.maxAttempts),
                run_after = \(job.runAfter.timeIntervalSince1970), lease_owner = \(job.lease?.owner),
                lease_node = \(job.lease?.node), lease_expires = \(job.lease?.expires.timeIntervalSince1970),
                history = \(StoredJSON.history(job.history)) WHERE id = \(job.id)
            """, logger: logger)
    }

    private static func job(_ row: PostgresRandomAccessRow) throws -> AsyncJob {
        var request: StoredRequest?
        if row.contains("headers") {
            request = StoredRequest(
                method: try row["method"].decode(String.self), path: try row["path"].decode(String.self),
                query: try row["query"].decode(String.self),
                headers: StoredJSON.headers(try row["headers"].decode(String.self)),
                body: Array(try row["body"].decode(ByteBuffer.self).readableBytesView))
        }
        let lease: Lease? = try row["lease_owner"].decode(String?.self).map { owner in
            Lease(
                owner: owner, node: try row["lease_node"].decode(String?.self) ?? "",
                expires: Date(timeIntervalSince1970: try row["lease_expires"].decode(Double?.self) ?? 0))
        }
        return AsyncJob(
            id: try row["id"].decode(String.self), function: try row["function"].decode(String.self),
            version: try row["version"].decode(Int?.self),
            trigger: ActivationTrigger(rawValue: try row["trigger"].decode(String.self)) ?? .async,
            state: QueueState(rawValue: try row["state"].decode(String.self)) ?? .queued,
            attempts: try row["attempts"].decode(Int.self), maxAttempts: try row["max_attempts"].decode(Int.self),
            runAfter: Date(timeIntervalSince1970: try row["run_after"].decode(Double.self)), lease: lease, request: request,
            history: StoredJSON.history(try row["history"].decode(String.self)),
            created: Date(timeIntervalSince1970: try row["created"].decode(Double.self)))
    }
}

/// Rows of `activations` written inside other transactions (the queue's).
enum ActivationRows {
    static func fetch(_ connection: PostgresConnection, id: String, _ logger: Logger) async throws -> ActivationRecord? {
        for try await json in try await connection.query(
            "SELECT record FROM activations WHERE id = \(id)", logger: logger
        ).decode(String.self) {
            return try ActivationJSON.decode(json)
        }
        return nil
    }

    /// Inserts or replaces `records` by id, in one statement (the last record of an id wins).
    static func upsert(_ connection: PostgresConnection, _ records: [ActivationRecord], _ logger: Logger) async throws {
        guard !records.isEmpty else { return }
        var latest: [String: Int] = [:]
        for (index, record) in records.enumerated() { latest[record.id] = index }
        let encoder = ActivationJSON.encoder()
        var ids: [String] = [], functions: [String] = [], statuses: [String] = []
        var created: [Double] = [], bytes: [Int64] = [], json: [String] = []
        // In id order: two transactions upserting overlapping rows lock them in the same order.
        let chosen = records.enumerated().filter { latest[$0.element.id] == $0.offset }.map(\.element)
        for record in chosen.sorted(by: { $0.id < $1.id }) {
            ids.append(record.id)
            functions.append(record.function)
            statuses.append(record.status.rawValue)
            created.append(record.created.timeIntervalSince1970)
            bytes.append(Int64(record.storedBytes))
            json.append(String(decoding: try encoder.encode(record), as: UTF8.self))
        }
        try await connection.query(
            """
            INSERT INTO activations (id, function, status, created, bytes, record)
            SELECT * FROM unnest(\(ids)::text[], \(functions)::text[], \(statuses)::text[], \(created)::float8[],
                \(bytes)::int8[], \(json)::text[])
            ON CONFLICT (id) DO UPDATE SET function = excluded.function, status = excluded.status,
                created = excluded.created, bytes = excluded.bytes, record = excluded.record
            """, logger: logger)
    }
}

/// The stored JSON of a request's headers (`[[name, value], …]`) and of a job's attempts.
enum StoredJSON {
    static func headers(_ headers: [HTTPField]) -> String {
        String(decoding: (try? JSONEncoder().encode(headers.map { [$0.name, $0.value] })) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func headers(_ json: String) -> [HTTPField] {
        let pairs = (try? JSONDecoder().decode([[String]].self, from: Data(json.utf8))) ?? []
        return pairs.compactMap { $0.count == 2 ? HTTPField(name: $0[0], value: $0[1]) : nil }
    }

    static func history(_ history: [AttemptRecord]) -> String {
        guard !history.isEmpty else { return "[]" }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return String(decoding: (try? encoder.encode(history)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func history(_ json: String) -> [AttemptRecord] {
        guard json != "[]" else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return (try? decoder.decode([AttemptRecord].self, from: Data(json.utf8))) ?? []
    }
}

/// Trims the activation records of the functions it is given, once per `delay` at most: the first
/// function of a quiet period schedules a trim `delay` later, which takes every function added since.
final class DeferredTrim: Sendable {
    private let pending = Mutex<(functions: Set<String>, scheduled: Bool)>(([], false))
    private let database: RegistryDatabase
    private let limits: ActivationLimits
    private let logger: Logger
    private let delay: Duration

    init(database: RegistryDatabase, limits: ActivationLimits, logger: Logger, delay: Duration = .milliseconds(500)) {
        self.database = database
        self.limits = limits
        self.logger = logger
        self.delay = delay
    }

    func add(_ function: String) {
        let schedule = pending.withLock { state -> Bool in
            state.functions.insert(function)
            defer { state.scheduled = true }
            return !state.scheduled
        }
        guard schedule else { return }
        Task(executorPreference: RegistryDatabase.bridgeExecutor) { [self] in
            try? await Task.sleep(for: delay)
            let functions = pending.withLock { state -> [String] in
                defer { state = ([], false) }
                return Array(state.functions)
            }
            await PostgresFunctionStore.trim(database, functions: functions, limits: limits, logger: logger)
        }
    }
}
