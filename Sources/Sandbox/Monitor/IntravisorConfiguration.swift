/// How the monitor is set up; one per process, built once at start-up.
public struct IntravisorConfiguration: Sendable {
    /// Fuel units per second of guest execution. `nil` (the default) measures it at start-up; a fixed value
    /// makes budgets reproducible (tests, benchmarks).
    public var fuelPerSecond: UInt64?
    /// Bytes of interpreter stack each compartment runs on (default 512 KiB). Deeper guest recursion traps
    /// with "call stack exhausted", which ends the invocation as `function_trap`.
    public var stackBytes: Int
    /// Whether guest code is fuel-metered (default `true`). Without metering only the deadline checks in
    /// hostcalls bound a guest, so a loop that makes no hostcall runs forever: turn it off only to measure
    /// what metering costs.
    public var fuelMetering: Bool
    /// How long the start-up measurement of `fuelPerSecond` runs, at most (default 30 ms).
    public var calibrationTime: Duration
    /// Whether compartments start from a copy of the state `iv_init` left in their image's first
    /// compartment instead of running `iv_init` again (default `true`; see
    /// ``CompartmentImage/Initialization``). Off only to measure what the copy saves.
    public var initialStateCopies: Bool
    /// How many instances of one module are kept, when their compartments go away cleanly, for the next
    /// compartments of that module's images (default 2; 0 turns recycling off; see ``GuestInstance``).
    /// Each keeps its linear memory and the code WasmKit translated for it.
    public var recycledInstances: Int

    public init(
        fuelPerSecond: UInt64? = nil, stackBytes: Int = 512 << 10, fuelMetering: Bool = true,
        calibrationTime: Duration = .milliseconds(30), initialStateCopies: Bool = true, recycledInstances: Int = 2
    ) {
        self.initialStateCopies = initialStateCopies
        self.recycledInstances = max(recycledInstances, 0)
        self.fuelPerSecond = fuelPerSecond
        self.stackBytes = stackBytes
        self.fuelMetering = fuelMetering
        self.calibrationTime = calibrationTime
    }
}
