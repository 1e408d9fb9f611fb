/// The response a function produced.
public struct InvocationResponse: Sendable, Equatable {
    /// The HTTP status (200 unless the guest set another through `response_status` or a CGI `Status:`).
    public var status: Int
    /// Response headers the guest set, in order.
    public var headers: [HTTPField]
    /// The response body: stdout under `abi: wasi`, `response_write` under `abi: iv`.
    public var body: [UInt8]

    public init(status: Int = 200, headers: [HTTPField] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// What an invocation cost and said, successful or not.
public struct InvocationReport: Sendable {
    /// stderr (wasi) or `log` (iv), at most the limit's bytes, then a truncation marker.
    public var logs: [UInt8]
    /// The guest's exit status: the `proc_exit` code (wasi; 0 when `_start` returns), or `iv_main`'s result.
    public var exitCode: Int32?
    /// Fuel the guest consumed (about one unit per WebAssembly operator).
    public var fuelUsed: UInt64
    /// Time spent running the guest, hostcalls included.
    public var runTime: Duration

    public init(logs: [UInt8] = [], exitCode: Int32? = nil, fuelUsed: UInt64 = 0, runTime: Duration = .zero) {
        self.logs = logs
        self.exitCode = exitCode
        self.fuelUsed = fuelUsed
        self.runTime = runTime
    }
}

/// The result of `Compartment.invoke`: a response, or a typed failure; a report either way.
public enum InvocationOutcome: Sendable {
    case success(InvocationResponse, InvocationReport)
    case failure(InvocationFailure, InvocationReport)

    /// The report of either case.
    public var report: InvocationReport {
        switch self {
        case .success(_, let report), .failure(_, let report): report
        }
    }
}
