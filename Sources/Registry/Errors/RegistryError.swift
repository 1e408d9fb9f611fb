/// An error of the registry: a refused archive or manifest, an unknown function, or a storage failure.
///
/// `code` is the SPEC's error code, so the Gateway maps it to a status without knowing the case;
/// `message` says what to fix, naming the entry, key, import or version at fault.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The SPEC error codes a registry operation can fail with.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidArchive = "invalid_archive"
            case invalidFunction = "invalid_function"
            case notFound = "not_found"
            case payloadTooLarge = "payload_too_large"
            case unavailable
        }
        private let base: Base

        /// The archive cannot be read: not gzip, not tar, a forbidden entry or a limit exceeded (400).
        public static let invalidArchive = Code(base: .invalidArchive)
        /// The archive reads but its manifest or module cannot be deployed (422).
        public static let invalidFunction = Code(base: .invalidFunction)
        /// No such function or version (404).
        public static let notFound = Code(base: .notFound)
        /// A body larger than the server accepts at all (413); raised by callers that see the body first.
        public static let payloadTooLarge = Code(base: .payloadTooLarge)
        /// Storage failed or an image no longer matches its digest (503).
        public static let unavailable = Code(base: .unavailable)

        /// The SPEC's spelling, e.g. `invalid_archive`.
        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func archive(_ message: String) -> RegistryError { RegistryError(.invalidArchive, message) }
    static func function(_ message: String) -> RegistryError { RegistryError(.invalidFunction, message) }
    static func storage(_ message: String) -> RegistryError { RegistryError(.unavailable, message) }
}
