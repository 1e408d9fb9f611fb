public import Foundation

/// The state of an activation.
public enum ActivationStatus: String, Sendable, Codable {
    case queued, running, succeeded, failed
}

/// One activation record, as `GET /activations` and `GET /activations/{id}` show it.
public struct ActivationInfo: Sendable, Equatable, Codable {
    public var id: String
    public var function: String
    public var version: Int
    public var status: ActivationStatus
    public var start: StartKind?
    /// Microseconds spent waiting for a compartment.
    public var queueUs: Int64
    /// Microseconds spent creating a compartment (cold starts only).
    public var initUs: Int64
    /// Microseconds the function ran.
    public var runUs: Int64
    /// Exit status (`wasi`) or `iv_main` result (`iv`).
    public var exit: Int32?
    /// The error code of a failed activation.
    public var error: String?
    public var message: String?
    /// What the function logged (stderr / `log`), at most 64 KiB then a truncation marker.
    public var logs: String
    public var fuelUsed: UInt64
    public var created: Date

    public init(
        id: String, function: String, version: Int, status: ActivationStatus, start: StartKind?,
        queueUs: Int64, initUs: Int64, runUs: Int64, exit: Int32?, error: String?, message: String?,
        logs: String, fuelUsed: UInt64, created: Date
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
    }

    enum CodingKeys: String, CodingKey {
        case id, function, version, status, start
        case queueUs = "queue_us"
        case initUs = "init_us"
        case runUs = "run_us"
        case exit, error, message, logs
        case fuelUsed = "fuel_used"
        case created
    }
}
