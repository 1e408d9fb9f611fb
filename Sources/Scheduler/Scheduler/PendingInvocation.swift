import Registry
public import Sandbox

/// An admitted or queued invocation, carried from the caller's thread to the worker that runs it.
///
/// It holds everything the worker needs to run the guest, record the activation and answer, so
/// that a queued invocation is an entry in the function's queue rather than a parked task: when a
/// slot frees, the worker that freed it hands the next one straight to the worker threads.
///
/// A class of constants: it passes through admission, the queue, the worker's closure and the
/// deadline sweep's table, and each of those retains one reference rather than copying the request,
/// the strings and the closures.
final class PendingInvocation: Sendable {
    let runtime: VersionRuntime
    let request: InvocationRequest
    let activation: String
    let arrival: ContinuousClock.Instant
    /// When the whole activation, queue wait included, must be over.
    let deadline: ContinuousClock.Instant
    /// An attempt of an async activation: its record, response included, goes back in the answer
    /// to its runner instead of to the activation log.
    let storeResult: Bool
    /// Called on the worker thread just before the guest runs (an async attempt starts).
    let onStart: (@Sendable () -> Void)?
    /// Its admission ticket, which keys it in the scheduler's `answerDue`.
    let ticket: UInt64
    /// Whether it waits in the function's queue (for `faas_queue_wait_seconds`).
    let waited: Bool
    /// Called once, on the thread that finishes the invocation.
    let completion: @Sendable (InvocationAnswer) -> Void
    /// What its guest logs, which the deadline sweep reads when it answers for a guest still running.
    let log = InvocationLog()

    init(
        runtime: VersionRuntime, request: InvocationRequest, activation: String, arrival: ContinuousClock.Instant,
        storeResult: Bool, onStart: (@Sendable () -> Void)?, ticket: UInt64, waited: Bool,
        completion: @escaping @Sendable (InvocationAnswer) -> Void
    ) {
        self.runtime = runtime
        self.request = request
        self.activation = activation
        self.arrival = arrival
        self.deadline = arrival + runtime.manifest.timeout
        self.storeResult = storeResult
        self.onStart = onStart
        self.ticket = ticket
        self.waited = waited
        self.completion = completion
    }
}

/// An admitted invocation whose answer is still due, for the deadline sweep.
struct RunningInvocation: Sendable {
    let invocation: PendingInvocation
    /// When it left admission (or the queue) for a worker.
    let started: ContinuousClock.Instant
    /// Cold when it was admitted without a sealed compartment.
    let start: StartKind
}

/// One attempt of a stored async activation, for ``Scheduler/runAttempt(_:completion:)``.
public struct AsyncAttempt: Sendable {
    public var activation: String
    public var function: String
    /// The pinned version, or `nil` for the current one.
    public var version: Int?
    public var request: InvocationRequest
    /// Whether ``Scheduler/reserve(function:version:)`` holds a place for it.
    public var reserved: Bool
    /// Called with the version that runs, on the worker thread, just before the guest starts.
    public var onStart: @Sendable (Int) -> Void

    public init(
        activation: String, function: String, version: Int?, request: InvocationRequest, reserved: Bool,
        onStart: @escaping @Sendable (Int) -> Void
    ) {
        self.activation = activation
        self.function = function
        self.version = version
        self.request = request
        self.reserved = reserved
        self.onStart = onStart
    }
}
