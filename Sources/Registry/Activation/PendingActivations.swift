import Foundation

/// The records an ``ActivationLog`` holds in memory until they are stored, and the hand-off to its
/// writer thread.
///
/// `@unchecked Sendable`: every stored property is read and written only while `condition` is locked.
final class PendingActivations: @unchecked Sendable {
    struct Entry {
        var sequence: UInt64
        var record: ActivationRecord
    }

    private let condition = NSCondition()
    private var entries: [String: Entry] = [:]
    private var sequence: UInt64 = 0
    private var flushers = 0
    private var stopping = false
    private var stopped = false
    private var retryAt: Date?

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return entries.count
    }

    var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    func add(_ record: ActivationRecord) {
        condition.lock()
        sequence += 1
        entries[record.id] = Entry(sequence: sequence, record: record)
        if entries.count == 1 { condition.broadcast() }
        condition.unlock()
    }

    func record(id: String) -> ActivationRecord? {
        condition.lock()
        defer { condition.unlock() }
        return entries[id]?.record
    }

    func records(function: String?) -> [ActivationRecord] {
        condition.lock()
        defer { condition.unlock() }
        return entries.values.compactMap { entry in
            function == nil || entry.record.function == function ? entry.record : nil
        }
    }

    /// Blocks the writer until there is something to write and the batch window has passed (or a
    /// flush, a full batch or a stop cuts it short). Returns `nil` when stopping with nothing left.
    func nextBatch(interval: Double, size: Int) -> [Entry]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let retryAt, !stopping {
                _ = condition.wait(until: retryAt)
                if Date() < retryAt { continue }
                self.retryAt = nil
            }
            if entries.isEmpty {
                if stopping { return nil }
                condition.wait()
                continue
            }
            let deadline = Date(timeIntervalSinceNow: interval)
            while !stopping, flushers == 0, entries.count < size, Date() < deadline {
                _ = condition.wait(until: deadline)
            }
            let batch = entries.values.sorted { $0.sequence < $1.sequence }.prefix(size)
            return Array(batch)
        }
    }

    /// Forgets the entries of `batch` that have not been replaced since it was taken.
    func written(_ batch: [Entry]) {
        condition.lock()
        for entry in batch where entries[entry.record.id]?.sequence == entry.sequence {
            entries[entry.record.id] = nil
        }
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
        let target = sequence
        flushers += 1
        condition.broadcast()
        defer { flushers -= 1 }
        while !stopped, entries.values.contains(where: { $0.sequence <= target }) {
            if !condition.wait(until: deadline) { break }
        }
        return !entries.values.contains { $0.sequence <= target }
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
