import Foundation

/// The records an ``ActivationLog`` holds in memory until they are stored, and the hand-off to its
/// writer thread.
///
/// `@unchecked Sendable`: every stored property is read and written only while `condition` is locked.
final class PendingActivations: @unchecked Sendable {
    /// Records taken for one transaction: every record still pending before `end`, oldest first.
    struct Batch {
        var records: [ActivationRecord]
        /// The sequence after the last slot the batch covers.
        var end: UInt64
    }

    private let condition = NSCondition()
    /// Records in the order given; a replaced record's slot is emptied at once.
    private var ring = PendingRing()
    /// The sequence of the newest pending record of each id. A slot of `ring` holds a record exactly
    /// when this map names that slot's sequence for the record's id.
    private var latest: [String: UInt64] = [:]
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
        return latest.count
    }

    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    func add(_ record: ActivationRecord) {
        condition.lock()
        let sequence = ring.append(record)
        if let replaced = latest.updateValue(sequence, forKey: record.id) { ring.clear(replaced) }
        if latest.count >= wakeWriterAt {
            wakeWriterAt = .max
            condition.broadcast()
        }
        condition.unlock()
    }

    func record(id: String) -> ActivationRecord? {
        condition.lock()
        defer { condition.unlock() }
        return latest[id].flatMap { ring[$0] }
    }

    func records(function: String?) -> [ActivationRecord] {
        condition.lock()
        defer { condition.unlock() }
        var found: [ActivationRecord] = []
        ring.forEach { record in
            if function == nil || record.function == function { found.append(record) }
            return true
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
            if latest.isEmpty {
                if stopping { return nil }
                wakeWriterAt = 1
                condition.wait()
                continue
            }
            let deadline = Date(timeIntervalSinceNow: interval)
            while !stopping, flushers == 0, latest.count < size, Date() < deadline {
                wakeWriterAt = size
                _ = condition.wait(until: deadline)
            }
            wakeWriterAt = .max
            var records: [ActivationRecord] = []
            records.reserveCapacity(min(size, latest.count))
            let end = ring.forEach { record in
                records.append(record)
                return records.count < size
            }
            return Batch(records: records, end: end)
        }
    }

    /// Forgets the records of `batch`, except those replaced since it was taken (their newer
    /// records stay pending).
    func written(_ batch: Batch) {
        condition.lock()
        ring.removeFront(upTo: batch.end) { record in latest[record.id] = nil }
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
