/// Why an invocation (or the creation of a compartment) did not produce a response.
///
/// `code` is one of the SPEC's error codes, so the Gateway maps it to a status without knowing the cause.
public struct InvocationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The SPEC error codes an invocation can end with.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case functionError = "function_error", functionTrap = "function_trap"
            case capabilityFault = "capability_fault", responseTooLarge = "response_too_large"
            case timeout, unavailable
        }
        private let base: Base
        /// The guest ended with a non-zero status, or its response was malformed (502).
        public static let functionError = Code(base: .functionError)
        /// The guest trapped: unreachable, out-of-bounds access, stack exhaustion, … (502).
        public static let functionTrap = Code(base: .functionTrap)
        /// The guest broke a capability rule; `fault` names the kind (502).
        public static let capabilityFault = Code(base: .capabilityFault)
        /// The response grew past the limit (502).
        public static let responseTooLarge = Code(base: .responseTooLarge)
        /// The deadline passed or the fuel budget ran out (504).
        public static let timeout = Code(base: .timeout)
        /// The compartment cannot run now: destroyed, busy, or its resources are exhausted (503).
        public static let unavailable = Code(base: .unavailable)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The CHERI exception class of a `capability_fault`; nil for every other code.
    public var fault: FaultKind?

    public init(_ code: Code, _ message: String, fault: FaultKind? = nil) {
        self.code = code
        self.message = message
        self.fault = fault
    }

    /// A `capability_fault` failure from a fault.
    public init(_ fault: CapabilityFault) {
        self.init(.capabilityFault, "\(fault.kind.rawValue) fault: \(fault.message)", fault: fault.kind)
    }

    public var description: String { "\(code): \(message)" }
}
