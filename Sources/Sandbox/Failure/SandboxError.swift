/// An error raised while preparing a compartment or its image (not during an invocation).
///
/// `code` is the SPEC's error code, so the Gateway can map it to a status without knowing the case.
public struct SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The SPEC error codes a sandbox preparation error can carry.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable { case invalidFunction = "invalid_function", unavailable }
        private let base: Base
        /// The module or its manifest cannot be run as it is (422).
        public static let invalidFunction = Code(base: .invalidFunction)
        /// The platform cannot create a compartment now (memory, limits) (503).
        public static let unavailable = Code(base: .unavailable)
        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
