/// Activation records in the order they were given, addressed by their sequence number.
///
/// A ring of slots: slot `sequence & mask` holds the record given with `sequence`. A record replaced
/// by a later one of the same id stays until it leaves with its batch (stored in order, the later one
/// wins), so appending touches no index. Records leave from the front only, so the order of the log
/// is the order of the ring and a batch needs no sorting. Not thread-safe: its owner locks.
struct PendingRing {
    /// Slots of a ring that has grown past this many are given back once it empties.
    static let keptCapacity = 1 << 14

    private var slots: ContiguousArray<ActivationRecord?>
    private var mask: Int
    /// The sequence of the front slot.
    private(set) var first: UInt64 = 1
    /// The sequence the next record gets.
    private(set) var end: UInt64 = 1

    init(capacity: Int = 1024) {
        let size = max(16, capacity.nextPowerOfTwo)
        slots = ContiguousArray(repeating: nil, count: size)
        mask = size - 1
    }

    /// Records held, replaced ones included.
    var count: Int { Int(end - first) }

    /// Appends `record` (its sequence is the `end` before the call).
    mutating func append(_ record: ActivationRecord) {
        if count == slots.count { grow() }
        slots[Int(truncatingIfNeeded: end) & mask] = record
        end += 1
    }

    /// The newest record that satisfies `predicate`, searching from the back.
    func newest(where predicate: (ActivationRecord) -> Bool) -> ActivationRecord? {
        var sequence = end
        while sequence > first {
            sequence -= 1
            if let record = slots[Int(truncatingIfNeeded: sequence) & mask], predicate(record) { return record }
        }
        return nil
    }

    /// Calls `body` with each record from the back (newest first).
    func forEachNewestFirst(_ body: (ActivationRecord) -> Void) {
        var sequence = end
        while sequence > first {
            sequence -= 1
            if let record = slots[Int(truncatingIfNeeded: sequence) & mask] { body(record) }
        }
    }

    /// The first `count` records from the front (fewer if the ring holds fewer).
    func prefix(_ count: Int) -> [ActivationRecord] {
        let stop = first + UInt64(min(max(count, 0), self.count))
        var records: [ActivationRecord] = []
        records.reserveCapacity(Int(stop - first))
        var sequence = first
        while sequence < stop {
            if let record = slots[Int(truncatingIfNeeded: sequence) & mask] { records.append(record) }
            sequence += 1
        }
        return records
    }

    /// Drops every record before `sequence`.
    mutating func removeFront(upTo sequence: UInt64) {
        let stop = min(sequence, end)
        while first < stop {
            slots[Int(truncatingIfNeeded: first) & mask] = nil
            first += 1
        }
        if first == end, slots.count > Self.keptCapacity {
            slots = ContiguousArray(repeating: nil, count: Self.keptCapacity)
            mask = Self.keptCapacity - 1
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        var larger = ContiguousArray<ActivationRecord?>(repeating: nil, count: size)
        var sequence = first
        while sequence < end {
            larger[Int(truncatingIfNeeded: sequence) & (size - 1)] = slots[Int(truncatingIfNeeded: sequence) & mask]
            sequence += 1
        }
        slots = larger
        mask = size - 1
    }
}

extension Int {
    /// The least power of two not below `self` (1 for values below 1).
    fileprivate var nextPowerOfTwo: Int {
        guard self > 1 else { return 1 }
        return 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount)
    }
}
