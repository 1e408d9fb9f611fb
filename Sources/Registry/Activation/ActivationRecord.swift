public import Foundation
public import Sandbox

/// Where an activation is in its life.
public enum ActivationStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed

    /// Whether the activation has ended (its record will not change again).
    public var isFinal: Bool { self == .succeeded || self == .failed }
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

    public init(
        id: String, function: String, version: Int, status: ActivationStatus, start: String? = nil,
        queueUs: Int64 = 0, initUs: Int64 = 0, runUs: Int64 = 0, exit: Int32? = nil, error: String? = nil,
        message: String? = nil, logs: String = "", fuelUsed: UInt64 = 0, created: Date = Date(),
        result: StoredResult? = nil, isAsync: Bool = false
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
    }

    /// What the record weighs against the log's byte cap.
    public var storedBytes: Int {
        256 + logs.utf8.count + (message?.utf8.count ?? 0) + (result.map { result in
            result.body.count + result.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        } ?? 0)
    }
}
