import Sandbox

/// An admitted or queued invocation, carried from the caller's thread to the worker that runs it.
///
/// It holds everything the worker needs to run the guest, record the activation and answer, so
/// that a queued invocation is a value in the function's queue rather than a parked task: when a
/// slot frees, the worker that freed it hands the next one straight to the worker threads.
struct PendingInvocation: Sendable {
    let runtime: VersionRuntime
    let request: InvocationRequest
    let activation: String
    let arrival: ContinuousClock.Instant
    /// When the whole activation, queue wait included, must be over.
    let deadline: ContinuousClock.Instant
    /// Async activations keep their response with the activation record.
    let storeResult: Bool
    /// Whether it waited in the function's queue (for `faas_queue_wait_seconds`).
    var waited = false
    /// Called once, on the thread that finishes the invocation.
    let completion: @Sendable (InvocationAnswer) -> Void
}
