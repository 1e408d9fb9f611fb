public import Foundation
import GRDB
import Sandbox

/// The durable async queue in `registry.sqlite` (tables `async_queue`, `async_keys`,
/// `schedule_ticks`; the records in `activations`), written through one group-commit thread.
public final class SQLiteAsyncQueue: AsyncQueueStore {
    private let database: DatabasePool
    private let writer: GroupCommit
    private let limits: ActivationLimits
    /// How long an `Idempotency-Key` answers with its first activation (24 h).
    public static let idempotencyWindow: TimeInterval = 24 * 3600

    /// The queue in `store`'s database.
    public init(store: SQLiteFunctionStore, limits: ActivationLimits = .init()) {
        database = store.database
        writer = GroupCommit(database: store.database, threadName: "faas-queue-writer")
        self.limits = limits
    }

    deinit { writer.stop(wait: false) }

    /// Stops the writer thread after what was submitted.
    public func close() { writer.stop(wait: true) }

    public func enqueue(
        _ job: AsyncJob, record: ActivationRecord, idempotencyKey: String?, now: Date
    ) async throws(RegistryError) -> EnqueueOutcome {
        let limits = limits
        return try await write("queue activation \(job.id)") { db in
            if let key = idempotencyKey {
                let earlier = try Row.fetchOne(
                    db, sql: "SELECT activation, created FROM async_keys WHERE function = ? AND key = ?",
                    arguments: [job.function, key])
                if let earlier, (earlier["created"] as Double) > now.timeIntervalSince1970 - Self.idempotencyWindow {
                    return .duplicate(activation: earlier["activation"])
                }
                try db.execute(
                    sql: "INSERT OR REPLACE INTO async_keys (function, key, activation, created) VALUES (?, ?, ?, ?)",
                    arguments: [job.function, key, job.id, now.timeIntervalSince1970])
            }
            try Self.insert(db, job)
            try Self.store(db, [record], limits: limits)
            return .accepted
        }
    }

    public func transition(
        id: String, _ change: @escaping @Sendable (AsyncJob, ActivationRecord?) -> (AsyncJob, ActivationRecord?)?
    ) async throws(RegistryError) -> AsyncJob? {
        let limits = limits
        return try await write("update activation \(id)") { db -> AsyncJob? in
            guard let job = try Self.fetch(db, id: id) else { return nil }
            guard let (changed, record) = change(job, try Self.record(db, id: id)) else { return nil }
            try Self.save(db, changed)
            if let record { try Self.store(db, [record], limits: limits) }
            return changed
        }
    }

    public func claimDue(
        owner: String, node: String, now: Date, expires: Date, limit: Int
    ) async throws(RegistryError) -> [AsyncJob] {
        try await write("claim queued activations") { db in
            let due = try Self.fetchAll(
                db,
                sql: """
                    SELECT * FROM async_queue WHERE state = 'queued' AND run_after <= ?1
                    AND (lease_owner IS NULL OR lease_expires <= ?1) ORDER BY run_after LIMIT ?2
                    """, [now.timeIntervalSince1970, max(limit, 0)])
            var claimed: [AsyncJob] = []
            for job in due {
                guard let taken = job.claimed(by: owner, node: node, now: now, expires: expires) else { continue }
                try Self.save(db, taken)
                claimed.append(taken)
            }
            return claimed
        }
    }

    public func sweepLeases(now: Date, node: String, owner: String) async throws(RegistryError) -> [AbandonedJob] {
        let limits = limits
        return try await write("re-queue expired leases") { db in
            let held = try Self.fetchAll(
                db,
                sql: """
                    SELECT * FROM async_queue WHERE lease_owner IS NOT NULL
                    AND (lease_expires <= ?1 OR (lease_node = ?2 AND lease_owner <> ?3))
                    """, [now.timeIntervalSince1970, node, owner])
            var abandoned: [AbandonedJob] = []
            var records: [ActivationRecord] = []
            for job in held {
                guard let (changed, finish) = job.expired(now: now) ?? job.recovered(node: node, exceptOwner: owner, now: now)
                else { continue }
                try Self.save(db, changed)
                records.append(ActivationRecord.following(changed, stored: try Self.record(db, id: changed.id)))
                abandoned.append(AbandonedJob(job: changed, finish: finish))
            }
            try Self.store(db, records, limits: limits)
            return abandoned
        }
    }

    public func renewLeases(owner: String, expires: Date) async throws(RegistryError) {
        try await write("renew leases") { db in
            try db.execute(
                sql: "UPDATE async_queue SET lease_expires = ? WHERE lease_owner = ?",
                arguments: [expires.timeIntervalSince1970, owner])
        }
    }

    public func nextDue() async throws(RegistryError) -> Date? {
        try await read("read the queue") { db in
            try Double.fetchOne(
                db, sql: "SELECT MIN(run_after) FROM async_queue WHERE state = 'queued' AND lease_owner IS NULL"
            ).map(Date.init(timeIntervalSince1970:))
        }
    }

    public func depths() async throws(RegistryError) -> [String: Int] {
        try await read("read the queue") { db in
            var depths: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT function, COUNT(*) AS n FROM async_queue WHERE state IN ('queued', 'running') GROUP BY function")
            {
                depths[row["function"]] = row["n"]
            }
            return depths
        }
    }

    public func job(id: String) async throws(RegistryError) -> AsyncJob? {
        try await read("read activation \(id)") { db in try Self.fetch(db, id: id) }
    }

    public func retry(id: String, now: Date, retries: Int) async throws(RegistryError) -> RetryOutcome {
        let limits = limits
        return try await write("retry activation \(id)") { db -> RetryOutcome in
            guard let job = try Self.fetch(db, id: id) else {
                let record = try Self.record(db, id: id)
                return record.map { _ in .notDead(nil) } ?? .notFound
            }
            guard let queued = job.retried(now: now, retries: retries) else { return .notDead(job.state) }
            try Self.save(db, queued)
            try Self.store(db, [ActivationRecord.following(queued, stored: try Self.record(db, id: id))], limits: limits)
            return .queued(queued)
        }
    }

    public func claimTick(
        function: String, tick: Date, job: AsyncJob, record: ActivationRecord
    ) async throws(RegistryError) -> Bool {
        let limits = limits
        return try await write("claim a tick of \(function)") { db in
            try db.execute(
                sql: "INSERT INTO schedule_ticks (function, tick, activation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [function, tick.timeIntervalSince1970, job.id])
            guard db.changesCount == 1 else { return false }
            try Self.insert(db, job)
            try Self.store(db, [record], limits: limits)
            return true
        }
    }

    public func prune(keysBefore: Date, ticksBefore: Date) async throws(RegistryError) {
        try await write("prune keys and ticks") { db in
            try db.execute(sql: "DELETE FROM async_keys WHERE created < ?", arguments: [keysBefore.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM schedule_ticks WHERE tick < ?", arguments: [ticksBefore.timeIntervalSince1970])
        }
    }

    // MARK: - Transactions

    private func write<T: Sendable>(_ what: String, _ body: @escaping (Database) throws -> T) async throws(RegistryError) -> T {
        do {
            return try await writer.perform(body)
        } catch let error as RegistryError {
            throw error
        } catch {
            throw .storage("registry database: cannot \(what): \(error)")
        }
    }

    private func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(RegistryError) -> T {
        let database = database
        let result: Result<T, RegistryError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: .success(try database.read(body)))
                } catch {
                    continuation.resume(returning: .failure(.storage("registry database: cannot \(what): \(error)")))
                }
            }
        }
        return try result.get()
    }

    // MARK: - Rows

    private static func store(_ db: Database, _ records: [ActivationRecord], limits: ActivationLimits) throws {
        guard !records.isEmpty else { return }
        var totals = ActivationTotals()
        let upsert = try ActivationUpsert(db)
        for record in records { try upsert.execute(record, totals: &totals) }
        try totals.apply(db)
        try SQLiteFunctionStore.trim(db, functions: Set(records.map(\.function)), limits: limits)
    }

    private static func record(_ db: Database, id: String) throws -> ActivationRecord? {
        try Row.fetchOne(
            db, sql: "SELECT \(SQLiteFunctionStore.recordColumns) FROM activations WHERE id = ?", arguments: [id]
        ).map(SQLiteFunctionStore.record)
    }

    private static func fetch(_ db: Database, id: String) throws -> AsyncJob? {
        try fetchAll(db, sql: "SELECT * FROM async_queue WHERE id = ?", [id]).first
    }

    private static func fetchAll(_ db: Database, sql: String, _ arguments: [any DatabaseValueConvertible]) throws -> [AsyncJob] {
        try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(job)
    }

    private static let insertSQL = """
        INSERT INTO async_queue (id, function, version, trigger, state, attempts, max_attempts, run_after,
            lease_owner, lease_node, lease_expires, method, path, query, headers, body, history, created)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private static func insert(_ db: Database, _ job: AsyncJob) throws {
        try db.cachedStatement(sql: insertSQL).execute(arguments: StatementArguments(columns(job)))
    }

    /// Writes `job` back; a succeeded job leaves the queue (its record keeps the outcome), a dead one
    /// stays with its request so that it can be retried.
    private static func save(_ db: Database, _ job: AsyncJob) throws {
        if job.state == .succeeded {
            try db.execute(sql: "DELETE FROM async_queue WHERE id = ?", arguments: [job.id])
            return
        }
        try db.cachedStatement(
            sql: """
                UPDATE async_queue SET trigger = ?, state = ?, attempts = ?, max_attempts = ?, run_after = ?,
                    lease_owner = ?, lease_node = ?, lease_expires = ?, history = ? WHERE id = ?
                """
        ).execute(
            arguments: [
                job.trigger.rawValue, job.state.rawValue, job.attempts, job.maxAttempts, job.runAfter.timeIntervalSince1970,
                job.lease?.owner, job.lease?.node, job.lease?.expires.timeIntervalSince1970,
                ActivationUpsert.historyJSON(job.history), job.id,
            ])
    }

    private static func columns(_ job: AsyncJob) -> [(any DatabaseValueConvertible)?] {
        [
            job.id, job.function, job.version, job.trigger.rawValue, job.state.rawValue, job.attempts, job.maxAttempts,
            job.runAfter.timeIntervalSince1970, job.lease?.owner, job.lease?.node, job.lease?.expires.timeIntervalSince1970,
            job.request.method, job.request.path, job.request.query, ActivationUpsert.headersJSON(job.request.headers),
            Data(job.request.body), ActivationUpsert.historyJSON(job.history), job.created.timeIntervalSince1970,
        ]
    }

    private static func job(_ row: Row) -> AsyncJob {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let pairs = (try? JSONDecoder().decode([[String]].self, from: Data((row["headers"] as String).utf8))) ?? []
        let lease: Lease? = (row["lease_owner"] as String?).map { owner in
            Lease(
                owner: owner, node: row["lease_node"] ?? "",
                expires: Date(timeIntervalSince1970: row["lease_expires"] ?? 0))
        }
        return AsyncJob(
            id: row["id"], function: row["function"], version: row["version"],
            trigger: ActivationTrigger(rawValue: row["trigger"]) ?? .async,
            state: QueueState(rawValue: row["state"]) ?? .queued, attempts: row["attempts"], maxAttempts: row["max_attempts"],
            runAfter: Date(timeIntervalSince1970: row["run_after"]), lease: lease,
            request: StoredRequest(
                method: row["method"], path: row["path"], query: row["query"],
                headers: pairs.compactMap { $0.count == 2 ? HTTPField(name: $0[0], value: $0[1]) : nil },
                body: [UInt8]((row["body"] as Data?) ?? Data())),
            history: (try? decoder.decode([AttemptRecord].self, from: Data((row["history"] as String).utf8))) ?? [],
            created: Date(timeIntervalSince1970: row["created"]))
    }
}

extension ActivationRecord {
    /// The record of an async activation after its job changed without a run to report (a lease
    /// sweep, a retry by API): `stored` with the job's status, attempts, trigger and history.
    public static func following(_ job: AsyncJob, stored: ActivationRecord?) -> ActivationRecord {
        var record = stored ?? ActivationRecord(
            id: job.id, function: job.function, version: job.version ?? 0, status: .queued, created: job.created,
            isAsync: true)
        record.isAsync = true
        record.attempts = job.attempts
        record.trigger = job.trigger
        record.history = job.history
        switch job.state {
        case .queued:
            record.status = .queued
            record.error = nil
            record.message = nil
        case .running: record.status = .running
        case .succeeded: record.status = .succeeded
        case .dead:
            record.status = .dead
            if let last = job.history.last {
                record.error = last.error
                record.message = last.message
                if !last.logs.isEmpty { record.logs = last.logs }
            }
        }
        return record
    }
}
