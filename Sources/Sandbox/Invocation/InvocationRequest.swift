/// What a compartment is invoked with: the parts of an HTTP request a function sees.
public struct InvocationRequest: Sendable {
    /// `GET`, `POST`, … (`REQUEST_METHOD`).
    public var method: String
    /// What follows `/invoke/NAME` (`PATH_INFO`), e.g. `/a/b` or empty.
    public var path: String
    /// The raw query string without `?` (`QUERY_STRING`).
    public var query: String
    /// Request headers in order; each becomes `HTTP_<NAME>` under `abi: wasi`.
    public var headers: [HTTPField]
    /// The request body: stdin under `abi: wasi`, `request_read` under `abi: iv`.
    public var body: [UInt8]

    public init(method: String = "POST", path: String = "", query: String = "", headers: [HTTPField] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// Who is invoking, until when, and where its log goes: the activation id, the wall-clock deadline
/// of the invocation and the log its guest writes.
public struct InvocationContext: Sendable {
    /// The activation id (`FAAS_ACTIVATION`).
    public var activation: String
    /// The instant after which the invocation is stopped with `timeout`; the fuel budget is derived from it.
    public var deadline: ContinuousClock.Instant
    /// The invocation's log, readable by its caller while the guest runs (pass one to read it early).
    public var log: InvocationLog

    public init(activation: String, deadline: ContinuousClock.Instant, log: InvocationLog = InvocationLog()) {
        self.activation = activation
        self.deadline = deadline
        self.log = log
    }
}
