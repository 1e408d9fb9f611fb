/// A CHERI-style capability: bounds, permissions, an optional seal and a validity tag.
///
/// A value type, like a capability register. Only the monitor mints root capabilities
/// (``root(base:length:permissions:)``); every other capability is derived from one, and derivation is
/// monotonic: bounds and permissions only shrink, sealed capabilities cannot be derived from or used, and
/// an untagged capability authorises nothing. Every violation throws a ``CapabilityFault`` of the CHERI
/// exception class, and every check is overflow-safe: no guest-supplied address or length can wrap.
///
/// Invariant: `base + length` never exceeds `UInt64.max`, so ``top`` cannot overflow.
///
/// ```swift
/// let memory = Capability.root(base: 0, length: 65_536, permissions: .data)
/// let buffer = try memory.restricted(offset: 1024, length: 16, permissions: .load)
/// try buffer.checked(address: 1024, length: 16, needs: .load)    // passes
/// try buffer.checked(address: 1030, length: 16, needs: .load)    // throws a bounds fault
/// ```
public struct Capability: Sendable, Equatable, CustomStringConvertible {
    /// The lowest address the capability authorises.
    public private(set) var base: UInt64
    /// The number of bytes from ``base`` it authorises.
    public private(set) var length: UInt64
    /// What it may be used for.
    public private(set) var permissions: Permissions
    /// The object type it is sealed with, or `nil` when unsealed.
    public private(set) var objectType: UInt32?
    /// Whether it is a valid capability at all.
    public private(set) var tag: Bool

    /// One past the highest authorised address.
    public var top: UInt64 { base + length }

    /// Whether it is sealed (usable only by unsealing or by entering through it).
    public var isSealed: Bool { objectType != nil }

    private init(base: UInt64, length: UInt64, permissions: Permissions, objectType: UInt32?, tag: Bool) {
        self.base = base
        self.length = length
        self.permissions = permissions
        self.objectType = objectType
        self.tag = tag
    }

    /// Mints a valid, unsealed root capability. Only the monitor does this (memory, files, sealers).
    ///
    /// A `length` reaching past the end of the address space is clamped so that ``top`` is representable.
    package static func root(base: UInt64, length: UInt64, permissions: Permissions) -> Capability {
        Capability(
            base: base, length: min(length, UInt64.max - base), permissions: permissions, objectType: nil, tag: true)
    }

    /// Derives a capability over `[base + offset, base + offset + length)` with `permissions`.
    ///
    /// - Throws: ``FaultKind/tag`` if this capability is untagged, ``FaultKind/seal`` if it is sealed,
    ///   ``FaultKind/bounds`` if the range does not lie inside this one's bounds, ``FaultKind/permission``
    ///   if `permissions` is not a subset of this one's.
    public func restricted(offset: UInt64, length: UInt64, permissions: Permissions) throws(CapabilityFault)
        -> Capability
    {
        try requireUsable("derive from")
        guard offset <= self.length, length <= self.length - offset else {
            throw CapabilityFault(
                .bounds, "derivation [+\(offset), +\(length) bytes) exceeds the \(self.length)-byte capability")
        }
        guard permissions.isSubset(of: self.permissions) else {
            throw CapabilityFault(
                .permission,
                "derivation asks for \(permissions.subtracting(self.permissions)) beyond \(self.permissions)")
        }
        return Capability(
            base: base + offset, length: length, permissions: permissions, objectType: nil, tag: true)
    }

    /// Like ``restricted(offset:length:permissions:)``, but any widening, of bounds too, is a
    /// ``FaultKind/permission`` fault: what SPEC asks of the guest's `cap_restrict`.
    public func narrowed(offset: UInt64, length: UInt64, permissions: Permissions) throws(CapabilityFault)
        -> Capability
    {
        do {
            return try restricted(offset: offset, length: length, permissions: permissions)
        } catch {
            guard error.kind == .bounds else { throw error }
            throw CapabilityFault(.permission, "widening restriction: \(error.message)")
        }
    }

    /// Checks that `[address, address + length)` may be accessed with `needs`.
    ///
    /// A zero-length range is in bounds anywhere in `[base, top]`.
    /// - Throws: ``FaultKind/tag``, ``FaultKind/seal``, ``FaultKind/bounds`` (also when the range would
    ///   wrap around the address space), ``FaultKind/permission``, in that order of priority.
    public func checked(address: UInt64, length: UInt64, needs: Permissions) throws(CapabilityFault) {
        try requireUsable("access through")
        guard address >= base, address - base <= self.length, length <= self.length - (address - base) else {
            throw CapabilityFault(
                .bounds,
                "access [\(address), +\(length) bytes) outside capability [\(base), \(top))")
        }
        guard needs.isSubset(of: permissions) else {
            throw CapabilityFault(
                .permission, "access needs \(needs.subtracting(permissions)); capability has \(permissions)")
        }
    }

    /// Checks `[base + offset, base + offset + length)` like ``checked(address:length:needs:)`` and
    /// returns its first address: the form hostcalls use for offsets relative to a handle.
    @discardableResult
    public func checked(offset: UInt64, length: UInt64, needs: Permissions) throws(CapabilityFault) -> UInt64 {
        try requireUsable("access through")
        guard offset <= self.length, length <= self.length - offset else {
            throw CapabilityFault(
                .bounds, "access [+\(offset), +\(length) bytes) outside the \(self.length)-byte capability")
        }
        guard needs.isSubset(of: permissions) else {
            throw CapabilityFault(
                .permission, "access needs \(needs.subtracting(permissions)); capability has \(permissions)")
        }
        return base + offset
    }

    /// Seals this capability with `objectType`, authorised by `sealer`.
    ///
    /// - Throws: ``FaultKind/tag`` if either is untagged, ``FaultKind/seal`` if either is already sealed,
    ///   ``FaultKind/permission`` if `sealer` lacks ``Permissions/seal``, ``FaultKind/bounds`` if
    ///   `objectType` is not inside the sealer's bounds `[base, top)`.
    public func sealed(using sealer: Capability, objectType: UInt32) throws(CapabilityFault) -> Capability {
        guard tag else { throw CapabilityFault(.tag, "cannot seal an untagged capability") }
        guard sealer.tag else { throw CapabilityFault(.tag, "sealer is untagged") }
        guard !isSealed else { throw CapabilityFault(.seal, "capability is already sealed") }
        guard !sealer.isSealed else { throw CapabilityFault(.seal, "sealer is sealed") }
        guard sealer.permissions.contains(.seal) else {
            throw CapabilityFault(.permission, "sealer lacks the seal permission")
        }
        guard UInt64(objectType) >= sealer.base, UInt64(objectType) - sealer.base < sealer.length else {
            throw CapabilityFault(
                .bounds, "object type \(objectType) outside the sealer's range [\(sealer.base), \(sealer.top))")
        }
        var result = self
        result.objectType = objectType
        return result
    }

    /// Unseals this capability, authorised by `unsealer`, whose bounds must contain its object type.
    ///
    /// As in CHERI, the result keeps ``Permissions/global`` only if the unsealer has it.
    /// - Throws: ``FaultKind/tag`` if either is untagged, ``FaultKind/seal`` if this one is not sealed or
    ///   the unsealer is, ``FaultKind/permission`` if the unsealer lacks ``Permissions/unseal``,
    ///   ``FaultKind/type`` if the object type does not match the unsealer.
    public func unsealed(using unsealer: Capability) throws(CapabilityFault) -> Capability {
        guard tag else { throw CapabilityFault(.tag, "cannot unseal an untagged capability") }
        guard unsealer.tag else { throw CapabilityFault(.tag, "unsealer is untagged") }
        guard let objectType else { throw CapabilityFault(.seal, "capability is not sealed") }
        guard !unsealer.isSealed else { throw CapabilityFault(.seal, "unsealer is sealed") }
        guard unsealer.permissions.contains(.unseal) else {
            throw CapabilityFault(.permission, "unsealer lacks the unseal permission")
        }
        guard UInt64(objectType) >= unsealer.base, UInt64(objectType) - unsealer.base < unsealer.length else {
            throw CapabilityFault(
                .type, "object type \(objectType) does not match the unsealer [\(unsealer.base), \(unsealer.top))")
        }
        var result = self
        result.objectType = nil
        if !unsealer.permissions.contains(.global) {
            result.permissions.remove(.global)
        }
        return result
    }

    /// Checks that this is a sealed entry of `objectType` that may be entered (invoked).
    ///
    /// - Throws: ``FaultKind/tag`` if untagged, ``FaultKind/seal`` if not sealed, ``FaultKind/type`` if
    ///   sealed with another object type, ``FaultKind/permission`` without ``Permissions/invoke``.
    public func checkedEntry(objectType expected: UInt32) throws(CapabilityFault) {
        guard tag else { throw CapabilityFault(.tag, "entry capability is untagged") }
        guard let objectType else { throw CapabilityFault(.seal, "entry capability is not sealed") }
        guard objectType == expected else {
            throw CapabilityFault(.type, "entry sealed with object type \(objectType), expected \(expected)")
        }
        guard permissions.contains(.invoke) else {
            throw CapabilityFault(.permission, "entry capability lacks the invoke permission")
        }
    }

    /// The same capability with its tag cleared: it keeps its fields but authorises nothing.
    public func clearingTag() -> Capability {
        var result = self
        result.tag = false
        return result
    }

    public var description: String {
        let seal = objectType.map { " sealed(\($0))" } ?? ""
        return "cap[\(base), \(top)) \(permissions)\(seal)\(tag ? "" : " untagged")"
    }

    private func requireUsable(_ action: String) throws(CapabilityFault) {
        guard tag else { throw CapabilityFault(.tag, "cannot \(action) an untagged capability") }
        guard !isSealed else { throw CapabilityFault(.seal, "cannot \(action) a sealed capability") }
    }
}
