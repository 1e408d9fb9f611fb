import Foundation

/// The records an ``ActivationLog`` holds in memory until they are stored, and the hand-off to its
/// writer thread.
///
/// `@unchecked Sendable`: every stored property is read and written only while `condition` is locked.
final class PendingActivations: @unchecked Sendable {
    /// Records taken for one transaction, oldest first; they end just before sequence `end`.
    struct Batch {
        var records: [ActivationRecord]
        /// The sequence after the last slot the batch covers.
        var end: UInt64
    }

    private let condition = NSCondition()
    /// Records in the order given. There is no index by id: `add`, the invocation path, only appends;
    /// reads by id (API calls, far rarer) search from the newest, so a replaced record is never seen.
    /// Unchecked exclusivity: only touched under `condition`, and the runtime's access tracking was a
    /// tenth of `add`'s cost.
    @exclusivity(unchecked) private var ring = PendingRing()
    /// The number of pending records at which `add` wakes the writer (1 while it waits for work, the
    /// batch size while it waits for a batch to fill, never while it writes).
    private var wakeWriterAt = Int.max
    private var flushers = 0
    private var stopping = false
    private var stopped = false
    private var retryAt: Date?

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return ring.count
    }

    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    func add(_ record: ActivationRecord) {
        condition.lock()
        ring.append(record)
        if ring.count >= wakeWriterAt {
            wakeWriterAt = .max
            condition.broadcast()
        }
        condition.unlock()
    }

    func record(id: String) -> ActivationRecord? {
        condition.lock()
        defer { condition.unlock() }
        return ring.newest { $0.id == id }
    }

    func records(function: String?) -> [ActivationRecord] {
        condition.lock()
        defer { condition.unlock() }
        var found: [ActivationRecord] = []
        var seen = Set<String>()
        ring.forEachNewestFirst { record in
            if function == nil || record.function == function, seen.insert(record.id).inserted { found.append(record) }
        }
        return found
    }

    /// Blocks the writer until there is something to write and the batch window has passed (or a
    /// flush, a full batch or a stop cuts it short). Returns `nil` when stopping with nothing left.
    func nextBatch(interval: Double, size: Int) -> Batch? {
        let size = max(size, 1)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let retryAt, !stopping {
                _ = condition.wait(until: retryAt)
                if Date() < retryAt { continue }
                self.retryAt = nil
            }
            if ring.count == 0 {
                if stopping { return nil }
                wakeWriterAt = 1
                condition.wait()
                continue
            }
            let deadline = Date(timeIntervalSinceNow: interval)
            while !stopping, flushers == 0, ring.count < size, Date() < deadline {
                wakeWriterAt = size
                _ = condition.wait(until: deadline)
            }
            wakeWriterAt = .max
            let records = ring.prefix(size)
            return Batch(records: records, end: ring.first + UInt64(records.count))
        }
    }

    /// Forgets the records of `batch` (a newer record of one of their ids, given later, stays).
    func written(_ batch: Batch) {
        condition.lock()
        ring.removeFront(upTo: batch.end)
        condition.broadcast()
        condition.unlock()
    }

    func failed(retryAfter seconds: Double) {
        condition.lock()
        retryAt = Date(timeIntervalSinceNow: seconds)
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilWritten(timeout: Duration) -> Bool {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        // Every record given so far has a sequence below `target`; the ring's front passes it once
        // the last of them is stored.
        let target = ring.end
        flushers += 1
        condition.broadcast()
        defer { flushers -= 1 }
        while !stopped, ring.first < target {
            if !condition.wait(until: deadline) { break }
        }
        return ring.first >= target
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    func markStopped() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilStopped() {
        condition.lock()
        while !stopped { condition.wait() }
        condition.unlock()
    }
}
