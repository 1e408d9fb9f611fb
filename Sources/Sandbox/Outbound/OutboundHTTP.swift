/// Makes the outbound requests of the `http_request` hostcall: resolves the host, refuses a
/// forbidden address the grant does not name, pins the connection to the checked address, and
/// enforces the deadline and the response limit. Implemented outside the monitor (`Egress`, on
/// libcurl); the monitor has already checked the grant, the method, the headers and the body size.
///
/// Called on the thread that runs the guest, which waits for the answer.
public protocol OutboundHTTP: Sendable {
    func perform(_ request: OutboundRequest) -> OutboundResult

    /// Counts a request the monitor stopped before it reached ``perform(_:)`` (`not_granted`,
    /// `invalid`, `limit`, `too_large`), for metrics. The default does nothing.
    func count(function: String, result: String)
}

extension OutboundHTTP {
    public func count(function: String, result: String) {}
}

/// One checked outbound request.
public struct OutboundRequest: Sendable {
    /// The function making it (for metrics).
    public var function: String
    /// One of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS.
    public var method: String
    public var url: OutboundURL
    /// The grant that allowed it; decides whether a forbidden address may be reached.
    public var grant: HTTPGrant
    /// The guest's headers, checked, without the ones the platform sets.
    public var headers: [HTTPField]
    public var body: [UInt8]
    /// When the request must have ended (a little before the invocation's deadline).
    public var deadline: ContinuousClock.Instant
    /// The most response body bytes accepted; more is `tooLarge`.
    public var maxResponseBytes: Int

    public init(
        function: String, method: String, url: OutboundURL, grant: HTTPGrant, headers: [HTTPField], body: [UInt8],
        deadline: ContinuousClock.Instant, maxResponseBytes: Int
    ) {
        self.function = function
        self.method = method
        self.url = url
        self.grant = grant
        self.headers = headers
        self.body = body
        self.deadline = deadline
        self.maxResponseBytes = maxResponseBytes
    }
}

/// A response: whatever the server answered, redirects included (they are not followed).
public struct OutboundResponse: Sendable {
    public var status: Int
    public var headers: [HTTPField]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPField], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// What became of an outbound request; each failure carries a message for the activation log.
public enum OutboundResult: Sendable {
    case response(OutboundResponse)
    /// The host resolved to an address the grant does not allow (the guest sees -1).
    case refused(String)
    /// The response was larger than allowed (-3).
    case tooLarge(String)
    /// DNS, connection, TLS, protocol error or the deadline (-4).
    case failed(String)
}
