public import Foundation
public import Sandbox

/// Where an activation is in its life.
public enum ActivationStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed
    /// An async activation whose every attempt failed (SPEC v2); `POST /activations/{id}/retry`
    /// queues it again.
    case dead

    /// Whether the activation has ended (its record changes again only by a retry of a dead one).
    public var isFinal: Bool { self == .succeeded || self == .failed || self == .dead }
}

/// The stored response of an asynchronous activation (`GET /activations/{id}/result`).
public struct StoredResult: Sendable, Equatable {
    public var status: Int
    public var headers: [HTTPField]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPField], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The record of one invocation (SPEC "activation"). Later records with the same `id` replace
/// earlier ones (queued → running → succeeded | failed).
public struct ActivationRecord: Sendable, Equatable {
    public var id: String
    public var function: String
    public var version: Int
    public var status: ActivationStatus
    /// `cold` or `warm`, once known.
    public var start: String?
    public var queueUs: Int64
    public var initUs: Int64
    public var runUs: Int64
    public var exit: Int32?
    /// The SPEC error code of a failed activation.
    public var error: String?
    public var message: String?
    public var logs: String
    public var fuelUsed: UInt64
    public var created: Date
    /// The response of a successful asynchronous activation.
    public var result: StoredResult?
    /// Started with `X-Faas-Async: true`: its outcome is served as its result (a failure by its
    /// error code and message).
    public var isAsync: Bool
    /// Attempts made (1 for a synchronous activation; 0 for an async one not started yet).
    public var attempts: Int
    /// What started it.
    public var trigger: ActivationTrigger
    /// The node that ran (or runs) its latest attempt.
    public var node: String?
    /// The finished attempts of an async activation, oldest first (its last one is also in the
    /// record's own fields).
    public var history: [AttemptRecord]

    public init(
        id: String, function: String, version: Int, status: ActivationStatus, start: String? = nil,
        queueUs: Int64 = 0, initUs: Int64 = 0, runUs: Int64 = 0, exit: Int32? = nil, error: String? = nil,
        message: String? = nil, logs: String = "", fuelUsed: UInt64 = 0, created: Date = Date(),
        result: StoredResult? = nil, isAsync: Bool = false, attempts: Int = 1, trigger: ActivationTrigger? = nil,
        node: String? = nil, history: [AttemptRecord] = []
    ) {
        self.id = id
        self.function = function
        self.version = version
        self.status = status
        self.start = start
        self.queueUs = queueUs
        self.initUs = initUs
        self.runUs = runUs
        self.exit = exit
        self.error = error
        self.message = message
        self.logs = logs
        self.fuelUsed = fuelUsed
        self.created = created
        self.result = result
        self.isAsync = isAsync
        self.attempts = attempts
        self.trigger = trigger ?? (isAsync ? .async : .http)
        self.node = node
        self.history = history
    }

    /// What the record weighs against the log's byte cap.
    public var storedBytes: Int {
        var bytes = 256 + logs.utf8.count + (message?.utf8.count ?? 0)
        for attempt in history {
            bytes += 64 + attempt.logs.utf8.count + (attempt.message?.utf8.count ?? 0)
        }
        if let result {
            bytes += result.body.count
            for header in result.headers { bytes += header.name.utf8.count + header.value.utf8.count + 4 }
        }
        return bytes
    }
}
