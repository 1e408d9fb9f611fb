/// The CHERI exception class of a capability fault (SPEC "Guest ABIs").
///
/// A fault is not returnable to the guest: it ends the invocation with 502 `capability_fault` naming
/// the kind, and the compartment is destroyed.
public enum FaultKind: String, Sendable, CaseIterable {
    /// An access or a derivation reaches outside the capability's bounds.
    case bounds
    /// The capability is not valid: its tag is clear, or a table handle was never issued or was dropped.
    case tag
    /// A sealed capability was used or derived from, or an unsealed one was presented where a sealed one
    /// was needed (or the other way round).
    case seal
    /// The object type of a sealed capability does not match the unsealer or the expected entry.
    case type
    /// The capability lacks a permission the operation needs, or a derivation would add one.
    case permission
}

/// A capability check failed: the typed fault the Intravisor raises instead of touching a byte.
public struct CapabilityFault: Error, Sendable, Equatable, CustomStringConvertible {
    /// The exception class.
    public let kind: FaultKind
    /// What was attempted, for the activation's error message.
    public let message: String

    public init(_ kind: FaultKind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue) fault: \(message)" }
}
