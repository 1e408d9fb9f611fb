/// How the compartment that ran an invocation was obtained.
public enum StartKind: String, Sendable, Codable {
    /// Created for this invocation.
    case cold
    /// Taken pre-sealed from the warm pool.
    case warm
}

/// The platform's answer to one invocation.
public struct InvokeAnswer: Sendable {
    /// What became of the invocation.
    public enum Outcome: Sendable {
        /// The function ran and answered.
        case response(FunctionResponse)
        /// The invocation was queued (`X-Faas-Async: true`); `activation` names it.
        case accepted
        /// The invocation failed or was refused.
        case failure(PlatformError)
    }

    /// The activation id, when an activation was recorded (errors included).
    public var activation: String?
    public var start: StartKind?
    /// Wall-clock time of the invocation inside the platform, in microseconds.
    public var durationUs: Int64
    public var outcome: Outcome

    public init(activation: String?, start: StartKind?, durationUs: Int64, outcome: Outcome) {
        self.activation = activation
        self.start = start
        self.durationUs = durationUs
        self.outcome = outcome
    }
}
