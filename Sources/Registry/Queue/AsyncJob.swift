public import Foundation
public import Sandbox

/// What started an activation (SPEC `trigger`): a synchronous call, `X-Faas-Async: true`, a
/// schedule's tick, or `POST /activations/{id}/retry` of a dead one.
public enum ActivationTrigger: String, Sendable, Codable, CaseIterable {
    case http, async, schedule, retry
}

/// The request of an async activation, kept until the activation is final (and while it is dead,
/// so that it can be retried).
public struct StoredRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: String
    public var headers: [HTTPField]
    public var body: [UInt8]

    public init(method: String, path: String, query: String, headers: [HTTPField], body: [UInt8]) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// One finished attempt of an async activation, kept with the activation (SPEC: "each attempt's
/// error and logs are kept").
public struct AttemptRecord: Sendable, Equatable, Codable {
    public var attempt: Int
    public var status: ActivationStatus
    public var error: String?
    public var message: String?
    public var logs: String
    public var node: String
    public var runUs: Int64
    public var finished: Date

    public init(
        attempt: Int, status: ActivationStatus, error: String?, message: String?, logs: String, node: String,
        runUs: Int64, finished: Date
    ) {
        self.attempt = attempt
        self.status = status
        self.error = error
        self.message = message
        self.logs = logs
        self.node = node
        self.runUs = runUs
        self.finished = finished
    }

    enum CodingKeys: String, CodingKey {
        case attempt, status, error, message, logs, node
        case runUs = "run_us"
        case finished
    }
}

/// Who holds a job: a lease by one process (`owner`, unique per process start) of one node, until
/// `expires`. Only the owner may start or finish the attempt; an expired lease goes back to the queue.
public struct Lease: Sendable, Equatable {
    public var owner: String
    public var node: String
    public var expires: Date

    public init(owner: String, node: String, expires: Date) {
        self.owner = owner
        self.node = node
        self.expires = expires
    }
}

/// Where a durable async activation is: queued (maybe leased by a node that will run it) →
/// running (leased) → succeeded, or back to queued for a retry, or dead after its last attempt.
public enum QueueState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, dead
}

/// A durable async activation as the queue stores it. Its transitions are pure functions
/// (`AsyncJob+Transitions.swift`); the stores only persist them.
public struct AsyncJob: Sendable, Equatable {
    public var id: String
    public var function: String
    /// The version pinned by `?version=N`, or `nil` for the current one when it runs.
    public var version: Int?
    public var trigger: ActivationTrigger
    public var state: QueueState
    /// Attempts started so far.
    public var attempts: Int
    /// Attempts allowed in all (`retries` + 1, more after a retry by API).
    public var maxAttempts: Int
    /// Not to be claimed before this instant (a retry's backoff).
    public var runAfter: Date
    public var lease: Lease?
    /// The request; `nil` in a job read for a transition (``AsyncQueueStore/transition(id:_:)``),
    /// which never changes it and need not read a body of up to 6 MiB.
    public var request: StoredRequest?
    /// Every finished attempt, oldest first.
    public var history: [AttemptRecord]
    public var created: Date

    public init(
        id: String, function: String, version: Int?, trigger: ActivationTrigger, state: QueueState = .queued,
        attempts: Int = 0, maxAttempts: Int, runAfter: Date, lease: Lease?, request: StoredRequest?,
        history: [AttemptRecord] = [], created: Date
    ) {
        self.id = id
        self.function = function
        self.version = version
        self.trigger = trigger
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.runAfter = runAfter
        self.lease = lease
        self.request = request
        self.history = history
        self.created = created
    }
}
