public import Registry
public import Sandbox

/// Whether an invocation found a pre-sealed compartment or created one on its path.
public enum StartKind: String, Sendable, Equatable {
    case cold
    case warm
}

/// Why the scheduler could not produce a function's response. `code` is the SPEC's error code.
public struct SchedulerFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    /// For `too_many_requests`: when a retry may succeed.
    public var retryAfterSeconds: Int?
    /// For `capability_fault`: which kind.
    public var fault: FaultKind?

    public init(code: String, message: String, retryAfterSeconds: Int? = nil, fault: FaultKind? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.fault = fault
    }

    public var description: String { "\(code): \(message)" }

    static func notFound(_ message: String) -> Self { .init(code: "not_found", message: message) }
    static func unavailable(_ message: String) -> Self { .init(code: "unavailable", message: message) }
    static func timeout(_ message: String) -> Self { .init(code: "timeout", message: message) }
}

/// What an invocation came to.
public struct InvocationAnswer: Sendable {
    /// The activation id, for every invocation that was admitted.
    public var activation: String?
    /// Cold or warm, when a compartment ran.
    public var start: StartKind?
    /// From arrival at the scheduler to the answer.
    public var duration: Duration
    /// The function's response or why there is none.
    public var result: Result<InvocationResponse, SchedulerFailure>
    /// The record of an attempt of an async activation, which its runner stores with the queue
    /// (those of synchronous invocations go to the activation log).
    public var record: ActivationRecord?
    /// Whether admission refused the invocation (`too_many_requests`) before it ran.
    public var refusedAtAdmission: Bool

    public init(
        activation: String?, start: StartKind?, duration: Duration,
        result: Result<InvocationResponse, SchedulerFailure>, record: ActivationRecord? = nil,
        refusedAtAdmission: Bool = false
    ) {
        self.activation = activation
        self.start = start
        self.duration = duration
        self.result = result
        self.record = record
        self.refusedAtAdmission = refusedAtAdmission
    }
}

/// A function's pool at a glance (`GET /functions/{name}`).
public struct PoolStatus: Sendable, Equatable {
    public var sealed: Int
    public var running: Int
    public var queued: Int
}

/// One live compartment (`GET /cvms`).
public struct CompartmentInfo: Sendable, Equatable {
    public var id: UInt64
    public var function: String
    public var version: Int
    /// `sealed` or `running`.
    public var state: String
    public var memoryBytes: Int
    public var invocations: Int
    public var created: Date
}

public import struct Foundation.Date
