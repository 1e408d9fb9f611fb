/// The error codes of the contract. Each maps to exactly one HTTP status (see `ErrorCode+Status.swift`).
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    case badRequest = "bad_request"
    case invalidArchive = "invalid_archive"
    case unauthorized
    case notFound = "not_found"
    case payloadTooLarge = "payload_too_large"
    case invalidFunction = "invalid_function"
    case conflict
    case tooManyRequests = "too_many_requests"
    case functionError = "function_error"
    case functionTrap = "function_trap"
    case capabilityFault = "capability_fault"
    case responseTooLarge = "response_too_large"
    case unavailable
    case timeout
}

/// A failure the platform reports to the gateway, rendered as `{"error": {"code", "message"}}`.
public struct PlatformError: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    /// For `too_many_requests`: the `Retry-After` seconds (at least 1 is sent when `nil`).
    public var retryAfterSeconds: Int?
    /// For `capability_fault`: the fault kind (`bounds`, `tag`, `seal`, `type`, `permission`).
    public var fault: String?

    public init(_ code: ErrorCode, _ message: String, retryAfterSeconds: Int? = nil, fault: String? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.fault = fault
    }
}
