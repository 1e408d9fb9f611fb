public import Foundation
import GRDB
import Sandbox

/// The durable async queue in `registry.sqlite` (tables `async_queue`, `async_keys`,
/// `schedule_ticks`; the records in `activations`), written through one group-commit thread.
public final class SQLiteAsyncQueue: AsyncQueueStore {
    private let database: DatabasePool
    private let writer: GroupCommit<Batch>
    /// How long an `Idempotency-Key` answers with its first activation (24 h).
    public static let idempotencyWindow: TimeInterval = 24 * 3600

    /// What the operations of one write transaction share: the activation upsert (prepared once),
    /// the coders, and the totals and functions to trim, applied once before the commit.
    final class Batch {
        let upsert: ActivationUpsert
        let encoder = ActivationUpsert.historyEncoder()
        let decoder = ActivationUpsert.historyDecoder()
        var totals = ActivationTotals()
        var functions: Set<String> = []

        init(_ db: Database) throws { upsert = try ActivationUpsert(db) }

        /// Writes `records` (last in an operation: their totals count only once they are written).
        func store(_ records: [ActivationRecord]) throws {
            var totals = ActivationTotals()
            for record in records { try upsert.execute(record, totals: &totals) }
            self.totals.merge(totals)
            for record in records { functions.insert(record.function) }
        }
    }

    /// The queue in `store`'s database.
    public init(store: SQLiteFunctionStore, limits: ActivationLimits = .init()) {
        database = store.database
        writer = GroupCommit(
            database: store.database, threadName: "faas-queue-writer", makeContext: Batch.init,
            finish: { db, batch in
                try batch.totals.apply(db)
                if !batch.functions.isEmpty { try SQLiteFunctionStore.trim(db, functions: batch.functions, limits: limits) }
            })
    }

    deinit { writer.stop(wait: false) }

    /// Stops the writer thread after what was submitted.
    public func close() { writer.stop(wait: true) }

    public func enqueue(
        _ job: AsyncJob, record: ActivationRecord, idempotencyKey: String?, now: Date
    ) async throws(RegistryError) -> EnqueueOutcome {
        try await write("queue activation \(job.id)") { db, batch in
            if let key = idempotencyKey {
                let earlier = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT activation, created FROM async_keys WHERE function = ? AND key = ?"),
                    arguments: [job.function, key])
                if let earlier, (earlier["created"] as Double) > now.timeIntervalSince1970 - Self.idempotencyWindow {
                    return .duplicate(activation: earlier["activation"])
                }
                try db.cachedStatement(
                    sql: "INSERT OR REPLACE INTO async_keys (function, key, activation, created) VALUES (?, ?, ?, ?)"
                ).execute(arguments: [job.function, key, job.id, now.timeIntervalSince1970])
            }
            try Self.insert(db, job, batch)
            try batch.store([record])
            return .accepted
        }
    }

    public func transition(
        id: String,
        _ change: @escaping @Sendable (AsyncJob, () -> ActivationRecord?) -> (AsyncJob, ActivationRecord?)?
    ) async throws(RegistryError) -> AsyncJob? {
        try await write("update activation \(id)") { db, batch -> AsyncJob? in
            guard let job = try Self.fetch(db, id: id, batch) else { return nil }
            guard let (changed, record) = change(job, { try? Self.record(db, id: id) }) else { return nil }
            try Self.save(db, changed, batch)
            if let record { try batch.store([record]) }
            return changed
        }
    }

    public func start(
        id: String, owner: String, now: Date, version: Int, node: String
    ) async throws(RegistryError) -> AsyncJob? {
        try await write("start activation \(id)") { db, batch -> AsyncJob? in
            guard let started = try Self.fetch(db, id: id, batch)?.started(by: owner, now: now) else { return nil }
            try Self.save(db, started, batch)
            // Queued to running: neither is final, so the totals do not change.
            try db.cachedStatement(
                sql: "UPDATE activations SET status = 'running', attempts = ?, version = ?, node = ? WHERE id = ?"
            ).execute(arguments: [started.attempts, version, node, id])
            return started
        }
    }

    public func claimDue(
        owner: String, node: String, now: Date, expires: Date, limit: Int
    ) async throws(RegistryError) -> [AsyncJob] {
        try await write("claim queued activations") { db, batch in
            let due = try Self.fetchAll(
                db,
                sql: """
                    SELECT \(Self.jobColumns), \(Self.requestColumns) FROM async_queue WHERE state = 'queued' AND run_after <= ?1
                    AND (lease_owner IS NULL OR lease_expires <= ?1) ORDER BY run_after LIMIT ?2
                    """, [now.timeIntervalSince1970, max(limit, 0)], batch)
            var claimed: [AsyncJob] = []
            for job in due {
                guard let taken = job.claimed(by: owner, node: node, now: now, expires: expires) else { continue }
                try Self.save(db, taken, batch)
                claimed.append(taken)
            }
            return claimed
        }
    }

    public func sweepLeases(now: Date, node: String, owner: String) async throws(RegistryError) -> [AbandonedJob] {
        try await write("re-queue expired leases") { db, batch in
            let held = try Self.fetchAll(
                db,
                sql: """
                    SELECT \(Self.jobColumns) FROM async_queue WHERE lease_owner IS NOT NULL
                    AND (lease_expires <= ?1 OR (lease_node = ?2 AND lease_owner <> ?3))
                    """, [now.timeIntervalSince1970, node, owner], batch)
            var abandoned: [AbandonedJob] = []
            var records: [ActivationRecord] = []
            for job in held {
                guard let (changed, finish) = job.expired(now: now) ?? job.recovered(node: node, exceptOwner: owner, now: now)
                else { continue }
                try Self.save(db, changed, batch)
                records.append(ActivationRecord.following(changed, stored: try Self.record(db, id: changed.id)))
                abandoned.append(AbandonedJob(job: changed, finish: finish))
            }
            try batch.store(records)
            return abandoned
        }
    }

    public func renewLeases(owner: String, expires: Date) async throws(RegistryError) {
        try await write("renew leases") { db, _ in
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
        try await read("read activation \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM async_queue WHERE id = ?", arguments: [id]).map {
                Self.job($0, decoder: ActivationUpsert.historyDecoder())
            }
        }
    }

    public func retry(id: String, now: Date, retries: Int) async throws(RegistryError) -> RetryOutcome {
        try await write("retry activation \(id)") { db, batch -> RetryOutcome in
            guard let job = try Self.fetch(db, id: id, batch) else {
                let record = try Self.record(db, id: id)
                return record.map { _ in .notDead(nil) } ?? .notFound
            }
            guard let queued = job.retried(now: now, retries: retries) else { return .notDead(job.state) }
            try Self.save(db, queued, batch)
            try batch.store([ActivationRecord.following(queued, stored: try Self.record(db, id: id))])
            return .queued(queued)
        }
    }

    public func claimTick(
        function: String, tick: Date, job: AsyncJob, record: ActivationRecord
    ) async throws(RegistryError) -> Bool {
        try await write("claim a tick of \(function)") { db, batch in
            try db.execute(
                sql: "INSERT INTO schedule_ticks (function, tick, activation) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [function, tick.timeIntervalSince1970, job.id])
            guard db.changesCount == 1 else { return false }
            try Self.insert(db, job, batch)
            try batch.store([record])
            return true
        }
    }

    public func prune(keysBefore: Date, ticksBefore: Date) async throws(RegistryError) {
        try await write("prune keys and ticks") { db, _ in
            try db.execute(sql: "DELETE FROM async_keys WHERE created < ?", arguments: [keysBefore.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM schedule_ticks WHERE tick < ?", arguments: [ticksBefore.timeIntervalSince1970])
        }
    }

    // MARK: - Transactions

    private func write<T: Sendable>(
        _ what: String, _ body: @escaping (Database, Batch) throws -> T
    ) async throws(RegistryError) -> T {
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

    private static func record(_ db: Database, id: String) throws -> ActivationRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(SQLiteFunctionStore.recordColumns) FROM activations WHERE id = ?"), arguments: [id]
        ).map(SQLiteFunctionStore.record)
    }

    /// The job `id` without its request (what transitions need).
    private static func fetch(_ db: Database, id: String, _ batch: Batch) throws -> AsyncJob? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(jobColumns) FROM async_queue WHERE id = ?"), arguments: [id]).map {
            job($0, decoder: batch.decoder)
        }
    }

    /// The columns of a job but its request, and those of its request.
    private static let jobColumns =
        "id, function, version, trigger, state, attempts, max_attempts, run_after, lease_owner, lease_node, lease_expires, history, created"
    private static let requestColumns = "method, path, query, headers, body"

    private static func fetchAll(
        _ db: Database, sql: String, _ arguments: [any DatabaseValueConvertible], _ batch: Batch
    ) throws -> [AsyncJob] {
        try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments)).map {
            job($0, decoder: batch.decoder)
        }
    }

    private static let insertSQL = """
        INSERT INTO async_queue (id, function, version, trigger, state, attempts, max_attempts, run_after,
            lease_owner, lease_node, lease_expires, method, path, query, headers, body, history, created)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private static func insert(_ db: Database, _ job: AsyncJob, _ batch: Batch) throws {
        guard let request = job.request else { throw DatabaseError(message: "a new activation needs its request") }
        let columns: [(any DatabaseValueConvertible)?] = [
            job.id, job.function, job.version, job.trigger.rawValue, job.state.rawValue, job.attempts, job.maxAttempts,
            job.runAfter.timeIntervalSince1970, job.lease?.owner, job.lease?.node, job.lease?.expires.timeIntervalSince1970,
            request.method, request.path, request.query,
            ActivationUpsert.headersJSON(request.headers, encoder: batch.encoder), Data(request.body),
            ActivationUpsert.historyJSON(job.history, encoder: batch.encoder), job.created.timeIntervalSince1970,
        ]
        try db.cachedStatement(sql: insertSQL).execute(arguments: StatementArguments(columns))
    }

    /// Writes `job` back (never its request, which does not change); a succeeded job leaves the
    /// queue (its record keeps the outcome), a dead one stays with its request so that it can be retried.
    private static func save(_ db: Database, _ job: AsyncJob, _ batch: Batch) throws {
        if job.state == .succeeded {
            try db.cachedStatement(sql: "DELETE FROM async_queue WHERE id = ?").execute(arguments: [job.id])
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
                ActivationUpsert.historyJSON(job.history, encoder: batch.encoder), job.id,
            ])
    }

    private static func job(_ row: Row, decoder: JSONDecoder) -> AsyncJob {
        var request: StoredRequest?
        if let headers = row["headers"] as String? {
            let pairs = (try? decoder.decode([[String]].self, from: Data(headers.utf8))) ?? []
            request = StoredRequest(
                method: row["method"], path: row["path"], query: row["query"],
                headers: pairs.compactMap { $0.count == 2 ? HTTPField(name: $0[0], value: $0[1]) : nil },
                body: [UInt8]((row["body"] as Data?) ?? Data()))
        }
        let lease: Lease? = (row["lease_owner"] as String?).map { owner in
            Lease(
                owner: owner, node: row["lease_node"] ?? "",
                expires: Date(timeIntervalSince1970: row["lease_expires"] ?? 0))
        }
        let history = row["history"] as String
        return AsyncJob(
            id: row["id"], function: row["function"], version: row["version"],
            trigger: ActivationTrigger(rawValue: row["trigger"]) ?? .async,
            state: QueueState(rawValue: row["state"]) ?? .queued, attempts: row["attempts"], maxAttempts: row["max_attempts"],
            runAfter: Date(timeIntervalSince1970: row["run_after"]), lease: lease, request: request,
            history: history == "[]" ? [] : (try? decoder.decode([AttemptRecord].self, from: Data(history.utf8))) ?? [],
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
