/// The permission bits of a ``Capability``, after CHERI's architectural permissions.
///
/// Derivation may only clear bits; ``Capability/restricted(offset:length:permissions:)`` faults with
/// ``FaultKind/permission`` when asked for a bit the source lacks.
public struct Permissions: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Read data through the capability.
    public static let load = Permissions(rawValue: 1 << 0)
    /// Write data through the capability.
    public static let store = Permissions(rawValue: 1 << 1)
    /// Fetch instructions (the entry of a compartment).
    public static let execute = Permissions(rawValue: 1 << 2)
    /// Read capabilities (table handles) through the capability.
    public static let loadCapability = Permissions(rawValue: 1 << 3)
    /// Write capabilities through the capability.
    public static let storeCapability = Permissions(rawValue: 1 << 4)
    /// Seal other capabilities with an object type inside this one's bounds.
    public static let seal = Permissions(rawValue: 1 << 5)
    /// Unseal capabilities whose object type lies inside this one's bounds.
    public static let unseal = Permissions(rawValue: 1 << 6)
    /// Enter a compartment through this (sealed) capability.
    public static let invoke = Permissions(rawValue: 1 << 7)
    /// May be kept beyond the current invocation.
    public static let global = Permissions(rawValue: 1 << 8)

    /// Every permission: what the monitor's root capabilities carry.
    public static let all: Permissions = [
        .load, .store, .execute, .loadCapability, .storeCapability, .seal, .unseal, .invoke, .global,
    ]
    /// A compartment's data capability over its linear memory.
    public static let data: Permissions = [.load, .store, .global]

    /// The guest-visible mask of `cap_restrict`: bit 0 read, bit 1 write (SPEC "Guest ABIs").
    ///
    /// - Returns: `nil` when the mask has a bit other than those two, so a hostcall can refuse it.
    public init?(guestMask: Int32) {
        guard guestMask & ~0b11 == 0 else { return nil }
        var permissions: Permissions = []
        if guestMask & 0b01 != 0 { permissions.insert(.load) }
        if guestMask & 0b10 != 0 { permissions.insert(.store) }
        self = permissions
    }

    /// The names of the set bits, e.g. `[load, store]`.
    public var description: String {
        let names: [(Permissions, String)] = [
            (.load, "load"), (.store, "store"), (.execute, "execute"), (.loadCapability, "loadCapability"),
            (.storeCapability, "storeCapability"), (.seal, "seal"), (.unseal, "unseal"), (.invoke, "invoke"),
            (.global, "global"),
        ]
        return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}
