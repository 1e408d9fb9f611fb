/// Whether memory written by one invocation is visible to the next (SPEC `state`).
public enum StatePolicy: String, Sendable, Equatable, CaseIterable {
    /// Every invocation starts from the pre-sealed snapshot: memory and every mutable global.
    case reset
    /// A compartment keeps its memory and globals between invocations.
    case keep
}

/// How a `wasi` function's stdout becomes a response (SPEC `response`).
public enum ResponseMode: String, Sendable, Equatable, CaseIterable {
    /// stdout is the body, status 200.
    case raw
    /// stdout starts with CGI header lines and a blank line; `Status: NNN` sets the status.
    case cgi
}

/// The limits a manifest sets on each compartment and invocation.
public struct CompartmentLimits: Sendable, Equatable {
    /// The linear memory ceiling in bytes, enforced at instantiation and on every `memory.grow`.
    public var memoryBytes: UInt64 = 64 << 20
    /// Wall-clock limit of one invocation; the fuel budget is derived from it.
    public var timeout: Duration = .seconds(5)
    /// The most bytes a response body may have.
    public var maxResponseBytes: Int = 6 << 20
    /// The most log bytes kept per invocation; more is replaced by a truncation marker.
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

/// Everything a compartment image is configured by: the parts of a manifest the sandbox needs.
public struct ImageDescriptor: Sendable, Equatable {
    public var function: String
    public var version: Int
    public var abi: GuestABI
    public var state: StatePolicy
    public var response: ResponseMode
    /// The manifest's `env`, in order; appended to the request's environment under `abi: wasi`.
    public var env: [HTTPField]
    public var grants: Grants
    public var limits: CompartmentLimits
    /// The platform runtime whose module the image runs (v2 `runtime:`), or nil for a function's own module.
    public var runtime: GuestRuntime?

    public init(
        function: String, version: Int = 1, abi: GuestABI = .wasi, state: StatePolicy = .reset,
        response: ResponseMode = .raw, env: [HTTPField] = [], grants: Grants = .none,
        limits: CompartmentLimits = .init(), runtime: GuestRuntime? = nil
    ) {
        self.runtime = runtime
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
