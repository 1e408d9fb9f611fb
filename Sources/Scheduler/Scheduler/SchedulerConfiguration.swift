public import Sandbox
import Foundation
/// How the scheduler runs, built once from the server's flags and environment.
public struct SchedulerConfiguration: Sendable {
    /// Threads that run guest code. Default: the number of cores.
    public var workerThreads: Int
    /// Whether each worker thread is pinned to a CPU of its own (`faas serve --pin-workers`), when
    /// the process may run on at least as many CPUs as there are workers. Default off: it helped
    /// warm throughput at 32 connections on a two-core machine, but not clearly at 256.
    public var pinWorkers: Bool
    /// Live compartments across all functions; creating one more evicts the least recently
    /// used idle compartment. Default 10,000.
    public var maxCompartments: Int
    /// Bytes of guest linear memory across all compartments, with the same eviction. Default 8 GiB.
    public var maxMemoryBytes: Int
    /// How often idle compartments past their keep-alive are collected. Default 1 s.
    public var reapInterval: Duration
    /// The deepest chain of CAP-Calls (a calls b calls c …). Default 8.
    public var maxCallDepth: Int
    /// This node's name in activation records and leases (`faas serve --node`). Default: the host name.
    public var node: String
    /// The client of outbound HTTP requests (`capabilities.http`); nil: every request fails (-4).
    public var outbound: (any OutboundHTTP)?
    /// The module of each platform runtime this node runs (`runtime: js`), as built by
    /// `functions/build.sh`; a function of a runtime not here cannot be deployed or loaded (503).
    public var runtimes: [GuestRuntime: [UInt8]]

    public init(
        workerThreads: Int = SchedulerConfiguration.defaultWorkerThreads,
        pinWorkers: Bool = false,
        maxCompartments: Int = 10_000,
        maxMemoryBytes: Int = 8 << 30,
        reapInterval: Duration = .seconds(1),
        maxCallDepth: Int = 8,
        node: String = SchedulerConfiguration.defaultNode,
        outbound: (any OutboundHTTP)? = nil,
        runtimes: [GuestRuntime: [UInt8]] = [:]
    ) {
        self.runtimes = runtimes
        self.workerThreads = workerThreads
        self.pinWorkers = pinWorkers
        self.maxCompartments = maxCompartments
        self.maxMemoryBytes = maxMemoryBytes
        self.reapInterval = reapInterval
        self.maxCallDepth = maxCallDepth
        self.node = node
        self.outbound = outbound
    }

    /// The host name.
    public static var defaultNode: String { ProcessInfo.processInfo.hostName }

    /// One thread per core.
    public static var defaultWorkerThreads: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
