/// A compartment's capability table: the guest holds only integer handles into it.
///
/// Handles are `Int32` values from 1 upwards, issued in order and never reused during the table's life,
/// so a dropped handle cannot come back naming another object. Looking up a handle that was never issued
/// or was dropped is a ``FaultKind/tag`` fault (the guest forged or kept a stale capability). At most
/// ``capacity`` entries are live at once; ``insert(_:capability:)`` answers ``full`` beyond that, an error
/// the guest may handle (SPEC's -3).
public struct CapabilityTable: Sendable {
    /// The number of live entries a table holds unless told otherwise.
    public static let defaultCapacity = 1024
    /// What ``insert(_:capability:)`` returns when no handle can be issued (SPEC: -3, too large).
    public static let full: Int32 = -3

    private struct Entry: Sendable {
        var object: CapabilityObject
        var capability: Capability
    }

    /// The most live entries at once.
    public let capacity: Int
    private var entries: [Int32: Entry] = [:]
    private var nextHandle: Int32 = 1

    /// An empty table holding at most `capacity` live entries.
    public init(capacity: Int = CapabilityTable.defaultCapacity) {
        self.capacity = max(0, capacity)
    }

    /// An empty table whose first handle is `firstHandle`: the table of a compartment started from an
    /// initial state, which never issues the handles issued before that state was taken.
    init(capacity: Int = CapabilityTable.defaultCapacity, firstHandle: Int32) {
        self.init(capacity: capacity)
        nextHandle = max(firstHandle, 1)
    }

    /// The number of live entries.
    public var count: Int { entries.count }

    /// The handle the next insertion issues.
    var nextHandleToIssue: Int32 { nextHandle }

    /// Stores `object` with the `capability` that authorises it and returns its new handle (>= 1), or
    /// ``full`` when the table is at capacity or has issued every possible handle.
    public mutating func insert(_ object: CapabilityObject, capability: Capability) -> Int32 {
        guard entries.count < capacity, nextHandle < Int32.max else { return Self.full }
        let handle = nextHandle
        nextHandle += 1
        entries[handle] = Entry(object: object, capability: capability)
        return handle
    }

    /// The object and capability `handle` names.
    ///
    /// - Throws: ``FaultKind/tag`` if `handle` was never issued or was dropped.
    public func lookup(_ handle: Int32) throws(CapabilityFault) -> (CapabilityObject, Capability) {
        guard let entry = entries[handle] else { throw Self.invalid(handle) }
        return (entry.object, entry.capability)
    }

    /// Derives a new handle over `[offset, offset + length)` of `handle`'s capability (relative to its
    /// base) with `permissions`, naming the same object: the `cap_restrict` hostcall.
    ///
    /// - Returns: the new handle, or ``full``.
    /// - Throws: ``FaultKind/tag`` for an unknown handle; ``FaultKind/permission`` for any widening of
    ///   bounds or permissions (``Capability/narrowed(offset:length:permissions:)``).
    public mutating func restrict(_ handle: Int32, offset: UInt64, length: UInt64, permissions: Permissions)
        throws(CapabilityFault) -> Int32
    {
        let (object, capability) = try lookup(handle)
        let derived = try capability.narrowed(offset: offset, length: length, permissions: permissions)
        return insert(object, capability: derived)
    }

    /// Drops `handle`; it is never valid again.
    ///
    /// - Throws: ``FaultKind/tag`` if `handle` was never issued or was already dropped.
    public mutating func drop(_ handle: Int32) throws(CapabilityFault) {
        guard entries.removeValue(forKey: handle) != nil else { throw Self.invalid(handle) }
    }

    /// Drops every entry (at the end of an invocation). Handles issued before stay invalid for good.
    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
    }

    private static func invalid(_ handle: Int32) -> CapabilityFault {
        CapabilityFault(.tag, "handle \(handle) was never issued or was dropped")
    }
}
