/// Activation records in the order they were given, addressed by their sequence number.
///
/// A ring of slots: slot `sequence & mask` holds the record given with `sequence`, or `nil` once a
/// later record with the same id has replaced it. Records leave from the front only, so the order of
/// the log is the order of the ring and a batch needs no sorting. Not thread-safe: its owner locks.
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

    /// Slots between the front and the end, replaced ones included.
    var count: Int { Int(end - first) }

    /// Appends `record` and returns its sequence.
    mutating func append(_ record: ActivationRecord) -> UInt64 {
        if count == slots.count { grow() }
        let sequence = end
        slots[Int(truncatingIfNeeded: sequence) & mask] = record
        end += 1
        return sequence
    }

    /// The record given with `sequence`, unless it has left or been replaced.
    subscript(sequence: UInt64) -> ActivationRecord? {
        guard sequence >= first, sequence < end else { return nil }
        return slots[Int(truncatingIfNeeded: sequence) & mask]
    }

    /// Empties the slot of `sequence` (its record was replaced).
    mutating func clear(_ sequence: UInt64) {
        guard sequence >= first, sequence < end else { return }
        slots[Int(truncatingIfNeeded: sequence) & mask] = nil
    }

    /// Drops every slot before `sequence`, calling `body` with each record still in one.
    mutating func removeFront(upTo sequence: UInt64, _ body: (ActivationRecord) -> Void) {
        let stop = min(sequence, end)
        while first < stop {
            let index = Int(truncatingIfNeeded: first) & mask
            if let record = slots[index] {
                body(record)
                slots[index] = nil
            }
            first += 1
        }
        if first == end, slots.count > Self.keptCapacity {
            slots = ContiguousArray(repeating: nil, count: Self.keptCapacity)
            mask = Self.keptCapacity - 1
        }
    }

    /// Calls `body` with each record in order from the front, until it returns `false`.
    /// - Returns: the sequence after the last slot visited.
    @discardableResult
    func forEach(_ body: (ActivationRecord) -> Bool) -> UInt64 {
        var sequence = first
        while sequence < end {
            let record = slots[Int(truncatingIfNeeded: sequence) & mask]
            sequence += 1
            if let record, !body(record) { return sequence }
        }
        return end
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
