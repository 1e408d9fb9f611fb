/// Answers CAP-Calls: the `call` hostcall asks it synchronously, on the caller's thread, while the
/// caller's compartment waits.
///
/// The handler is responsible for running the callee in a compartment of its own (never the caller's)
/// and for respecting `deadline`.
public protocol CallHandler: Sendable {
    /// Runs `function` with `body` as its request body on behalf of the compartment described by `caller`.
    func call(function: String, body: [UInt8], caller: ImageDescriptor, deadline: ContinuousClock.Instant) -> CallResult
}

/// What a CAP-Call produced.
public enum CallResult: Sendable {
    /// The callee ran and answered (any status).
    case response(InvocationResponse)
    /// No such function (the guest sees -2).
    case notFound
    /// The callee failed (the guest sees -4).
    case failed(InvocationFailure)
}
