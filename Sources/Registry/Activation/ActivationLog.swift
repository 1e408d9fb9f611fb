import Foundation
public import Logging

/// The activation history, written off the invocation path.
///
/// `record` only appends the record to memory (in order, so batches need no sorting); a background
/// writer thread writes what has gathered in one transaction every ``ActivationLimits/flushInterval``
/// (or sooner when a batch fills or someone calls ``flush()``). The writer is woken only when work
/// appears after a pause or a batch fills, not once per record. Reads see records still in memory, so a record an API call
/// has reported can always be read back, before and after it reaches the database. A record leaves
/// memory only after the transaction holding it has committed.
public final class ActivationLog: Sendable {
    private let pending: PendingActivations
    private let store: any ActivationStore

    /// Starts the writer thread over `store`.
    public init(store: any ActivationStore, limits: ActivationLimits = .init(), logger: Logger) {
        let pending = PendingActivations()
        self.pending = pending
        self.store = store
        let thread = Thread {
            ThreadName.setCurrent("faas-act-writer")
            ActivationLog.runWriter(pending: pending, store: store, limits: limits, logger: logger)
        }
        thread.start()
    }

    deinit {
        // The writer stores what is left and ends.
        pending.stop()
    }

    /// Records `record`, replacing any earlier record with its id. Never blocks on I/O.
    public func record(_ record: ActivationRecord) {
        pending.add(record)
    }

    /// The record `id`, in memory or stored, or `nil`.
    public func get(id: String) throws -> ActivationRecord? {
        if let record = pending.record(id: id) { return record }
        return try store.activation(id: id)
    }

    /// Up to `limit` records of `function` (every function when `nil`) with `status` (any when
    /// `nil`), newest first, pending ones included.
    public func list(function: String?, status: ActivationStatus? = nil, limit: Int) throws -> [ActivationRecord] {
        let memory = pending.records(function: function)
        let stored = try store.activations(function: function, status: status, limit: limit)
        var byID: [String: ActivationRecord] = [:]
        for record in stored { byID[record.id] = record }
        for record in memory { byID[record.id] = record }
        let sorted = byID.values.filter { status == nil || $0.status == status }
            .sorted { ($0.created, $0.id) > ($1.created, $1.id) }
        return Array(sorted.prefix(max(limit, 0)))
    }

    /// Waits until every record given before the call is stored (at most `timeout`).
    /// - Returns: whether they all were.
    @discardableResult
    public func flush(timeout: Duration = .seconds(10)) -> Bool {
        pending.waitUntilWritten(timeout: timeout)
    }

    /// Stores what is pending and stops the writer thread. Records given afterwards are kept in memory only.
    public func close() {
        pending.stop()
        pending.waitUntilStopped()
    }

    /// Records waiting in memory, including replaced ones whose batch has not been stored yet.
    public var pendingCount: Int { pending.count }

    private static func runWriter(
        pending: PendingActivations, store: any ActivationStore, limits: ActivationLimits, logger: Logger
    ) {
        let interval = Double(limits.flushInterval.components.seconds)
            + Double(limits.flushInterval.components.attoseconds) / 1e18
        var failures = 0
        while let batch = pending.nextBatch(interval: interval, size: limits.batchSize) {
            do {
                try store.write(batch.records, limits: limits)
                pending.written(batch)
                failures = 0
            } catch {
                failures += 1
                if failures == 1 || failures % 100 == 0 {
                    logger.error(
                        "cannot store activation records; keeping them in memory",
                        metadata: ["faas.error": "\(error)", "faas.pending": "\(pending.count)"])
                }
                if pending.isStopping, failures >= 3 {
                    logger.error("dropping \(pending.count) activation records at close: the store keeps failing")
                    break
                }
                pending.failed(retryAfter: min(0.05 * Double(failures), 2))
            }
        }
        pending.markStopped()
    }
}
