public import Dispatch
import Foundation
public import Logging
public import Registry
public import Sandbox
import Synchronization

/// Decides which compartment serves an invocation, when compartments are created and when they
/// die, and records every activation.
///
/// Per function version a pool of pre-sealed compartments; per function admission (at most
/// `concurrency` running, up to `queue` waiting, 429 beyond); guest code on a fixed set of worker
/// threads; activations through the registry's batched log; metrics in Prometheus text.
///
/// ```swift
/// let scheduler = Scheduler(registry: registry, intravisor: Intravisor(), logger: logger)
/// await scheduler.start()                       // loads and prewarms every current function
/// let answer = await scheduler.invoke(function: "hello", version: nil, request: request)
/// ```
public final class Scheduler: Sendable {
    let registry: FunctionRegistry
    let intravisor: Intravisor
    public let configuration: SchedulerConfiguration
    let logger: Logger
    let clock: any SchedulerClock
    let workers: WorkerPool
    let metrics: SchedulerMetrics
    let state = AdaptiveLock(State())
    /// Registry reads and writes (SQLite, image files) happen here, off the cooperative pool and
    /// off the worker threads that run guests.
    public let io = DispatchQueue(label: "faas.scheduler.io", attributes: .concurrent)
    let reaperTask = Mutex<Task<Void, Never>?>(nil)
    /// Outbound HTTP and key-value stores as compartments reach them (CAP-Calls are `self`).
    let guestHTTP: GuestHTTP?
    let guestKeyValue: GuestKeyValue
    /// Platform runtimes' modules, prepared once and shared by every function of that runtime.
    let preparedRuntimes = Mutex<[GuestRuntime: PreparedModule]>([:])

    struct State {
        var functions: [String: FunctionState] = [:]
        var nextTicket: UInt64 = 1
        var nextCompartment: UInt64 = 1
        var liveCompartments = 0
        var liveMemoryBytes = 0
        var runningInvocations = 0
        /// Compartments checked out by a worker thread, for `/cvms`.
        var runningHandles: [UInt64: CompartmentHandle] = [:]
        var shuttingDown = false
        /// Admitted invocations that have not answered yet, by ticket: the deadline sweep answers
        /// `timeout` to those past their deadline while their guest still runs (a loop that makes
        /// no hostcall stops only when its fuel runs out, later on a loaded machine).
        var answerDue: [UInt64: RunningInvocation] = [:]
        /// When the armed sweep of deadlines (queued and running invocations) fires, if one is armed.
        var sweepAt: ContinuousClock.Instant?
    }

    /// - Parameters:
    ///   - registry: where functions, images and activations live.
    ///   - intravisor: the monitor that creates compartments.
    ///   - clock: the time used for keep-alive; inject a `ManualSchedulerClock` in tests.
    public init(
        registry: FunctionRegistry, intravisor: Intravisor, configuration: SchedulerConfiguration = .init(),
        logger: Logger = Logger(label: "faas.scheduler"), clock: any SchedulerClock = .continuous
    ) {
        self.registry = registry
        self.intravisor = intravisor
        self.configuration = configuration
        self.logger = logger
        self.clock = clock
        let workers = WorkerPool(
            size: configuration.workerThreads,
            pinnedCPUs: configuration.pinWorkers ? CPUAffinity.forWorkers(configuration.workerThreads) : [])
        if !workers.pinnedCPUs.isEmpty {
            logger.debug("worker threads pinned", metadata: ["faas.cpus": "\(workers.pinnedCPUs)"])
        }
        let metrics = SchedulerMetrics()
        self.workers = workers
        self.metrics = metrics
        guestHTTP = configuration.outbound.map { GuestHTTP(client: $0, workers: workers, metrics: metrics) }
        guestKeyValue = GuestKeyValue(store: registry.keyValue, workers: workers, metrics: metrics)
    }

    /// What a new compartment's hostcalls reach.
    var hostServices: HostServices {
        HostServices(calls: self, http: guestHTTP, kv: guestKeyValue)
    }

    /// Loads every function's current version, prewarms its pool and starts the keep-alive reaper.
    public func start() async {
        let summaries = (try? await onIO { try self.registry.list() }) ?? []
        for summary in summaries {
            do {
                _ = try await runtime(for: summary.name, version: nil)
            } catch {
                logger.error("cannot load function", metadata: ["faas.function": "\(summary.name)", "error": "\(error)"])
            }
        }
        let interval = configuration.reapInterval
        reaperTask.withLock { task in
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    self?.reap()
                }
            }
        }
    }

    /// Runs `body` on the registry's I/O queue: registry calls block on SQLite and files, so
    /// callers on an event loop or the cooperative pool hand them over here.
    public func onIO<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            io.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
