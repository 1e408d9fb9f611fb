/// Whether a compartment's memory survives between invocations (manifest `state`).
public enum StatePolicy: String, Sendable, Equatable, CaseIterable {
    /// Every invocation starts from the pre-sealed snapshot.
    case reset
    /// A compartment keeps its memory between invocations.
    case keep
}

/// How a guest's stdout becomes the HTTP response (manifest `response`).
public enum ResponseMode: String, Sendable, Equatable, CaseIterable {
    /// stdout is the body.
    case raw
    /// stdout starts with CGI header lines and a blank line; `Status: NNN` sets the status.
    case cgi
}

/// One name/value pair of a header list or an environment, kept in order.
public struct HTTPField: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The limits a compartment runs under, taken from its function's manifest.
public struct CompartmentLimits: Sendable, Equatable {
    /// Linear memory ceiling in bytes.
    public var memoryBytes: UInt64 = 64 << 20
    /// Wall-clock limit of one invocation.
    public var timeout: Duration = .seconds(5)
    /// Largest response body a guest may produce.
    public var maxResponseBytes: Int = 6 << 20
    /// Log bytes kept per activation before the truncation marker.
    public var maxLogBytes: Int = 64 << 10

    public init(
        memoryBytes: UInt64 = 64 << 20, timeout: Duration = .seconds(5), maxResponseBytes: Int = 6 << 20,
        maxLogBytes: Int = 64 << 10
    ) {
        self.memoryBytes = memoryBytes
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.maxLogBytes = maxLogBytes
    }
}

/// Everything a compartment image is configured by: which function and version it is, its ABI,
/// state and response policies, environment, grants and limits.
public struct ImageDescriptor: Sendable, Equatable {
    public var function: String
    public var version: Int
    public var abi: GuestABI
    public var state: StatePolicy
    public var response: ResponseMode
    /// The manifest's `env`, in the order it was written.
    public var env: [HTTPField]
    public var grants: Grants
    public var limits: CompartmentLimits

    public init(
        function: String, version: Int, abi: GuestABI = .wasi, state: StatePolicy = .reset,
        response: ResponseMode = .raw, env: [HTTPField] = [], grants: Grants = .none,
        limits: CompartmentLimits = .init()
    ) {
        self.function = function
        self.version = version
        self.abi = abi
        self.state = state
        self.response = response
        self.env = env
        self.grants = grants
        self.limits = limits
    }
}
