/// Why the gateway would not start.
public struct GatewayStartError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A non-loopback address without a token and without `insecure`.
        case insecureBind = "insecure_bind"
        /// The address could not be bound.
        case bindFailed = "bind_failed"
        /// `start` was called twice, or after `shutdown`.
        case wrongState = "wrong_state"
    }

    public var code: Code
    public var message: String

    public var description: String { message }
}
