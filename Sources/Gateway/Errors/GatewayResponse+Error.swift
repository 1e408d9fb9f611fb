import NIOHTTP1

extension GatewayResponse {
    /// Renders a failure as the contract's `{"error": {"code", "message"}}` with the code's status,
    /// `Retry-After` for `too_many_requests`, and the fault kind in the message of a `capability_fault`.
    static func error(_ failure: PlatformError) -> GatewayResponse {
        var message = failure.message
        if failure.code == .capabilityFault, let fault = failure.fault, !message.hasPrefix("\(fault) fault") {
            message = "\(fault) fault: \(message)"
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        if failure.code == .tooManyRequests {
            headers.add(name: "retry-after", value: String(max(1, failure.retryAfterSeconds ?? 1)))
        }
        if failure.code == .unauthorized {
            headers.add(name: "www-authenticate", value: "Bearer")
        }
        let body = ErrorBody(error: .init(code: failure.code.rawValue, message: message))
        return GatewayResponse(status: failure.code.status, headers: headers, body: GatewayJSON.encode(body))
    }

    /// Shorthand for ``error(_:)`` from a code and a message.
    static func error(_ code: ErrorCode, _ message: String) -> GatewayResponse {
        .error(PlatformError(code, message))
    }
}

/// `{"error": {"code": "...", "message": "..."}}`
public struct ErrorBody: Sendable, Codable, Equatable {
    public struct Detail: Sendable, Codable, Equatable {
        public var code: String
        public var message: String
    }

    public var error: Detail
}
