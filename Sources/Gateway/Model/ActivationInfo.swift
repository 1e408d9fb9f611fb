public import Foundation

/// The state of an activation.
public enum ActivationStatus: String, Sendable, Codable {
    case queued, running, succeeded, failed, dead
}

/// What started an activation.
public enum ActivationTrigger: String, Sendable, Codable {
    case http, async, schedule, retry
}

/// One finished attempt of an async activation.
public struct AttemptInfo: Sendable, Equatable, Codable {
    public var attempt: Int
    public var status: ActivationStatus
    public var error: String?
    public var message: String?
    public var logs: String
    public var node: String
    public var runUs: Int64
    public var finished: Date

    public init(
        attempt: Int, status: ActivationStatus, error: String?, message: String?, logs: String, node: String, runUs: Int64,
        finished: Date
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
    /// Attempts made (async activations may take several).
    public var attempts: Int
    public var trigger: ActivationTrigger
    /// The node that ran its latest attempt.
    public var node: String?
    /// Every finished attempt of an async activation, oldest first.
    public var history: [AttemptInfo]

    public init(
        id: String, function: String, version: Int, status: ActivationStatus, start: StartKind?,
        queueUs: Int64, initUs: Int64, runUs: Int64, exit: Int32?, error: String?, message: String?,
        logs: String, fuelUsed: UInt64, created: Date, attempts: Int = 1, trigger: ActivationTrigger = .http,
        node: String? = nil, history: [AttemptInfo] = []
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
        self.attempts = attempts
        self.trigger = trigger
        self.node = node
        self.history = history
    }

    enum CodingKeys: String, CodingKey {
        case id, function, version, status, start
        case queueUs = "queue_us"
        case initUs = "init_us"
        case runUs = "run_us"
        case exit, error, message, logs
        case fuelUsed = "fuel_used"
        case created, attempts, trigger, node, history
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id),
            function: try container.decode(String.self, forKey: .function),
            version: try container.decode(Int.self, forKey: .version),
            status: try container.decode(ActivationStatus.self, forKey: .status),
            start: try container.decodeIfPresent(StartKind.self, forKey: .start),
            queueUs: try container.decode(Int64.self, forKey: .queueUs),
            initUs: try container.decode(Int64.self, forKey: .initUs),
            runUs: try container.decode(Int64.self, forKey: .runUs),
            exit: try container.decodeIfPresent(Int32.self, forKey: .exit),
            error: try container.decodeIfPresent(String.self, forKey: .error),
            message: try container.decodeIfPresent(String.self, forKey: .message),
            logs: try container.decode(String.self, forKey: .logs),
            fuelUsed: try container.decode(UInt64.self, forKey: .fuelUsed),
            created: try container.decode(Date.self, forKey: .created),
            attempts: try container.decodeIfPresent(Int.self, forKey: .attempts) ?? 1,
            trigger: try container.decodeIfPresent(ActivationTrigger.self, forKey: .trigger) ?? .http,
            node: try container.decodeIfPresent(String.self, forKey: .node),
            history: try container.decodeIfPresent([AttemptInfo].self, forKey: .history) ?? [])
    }
}
