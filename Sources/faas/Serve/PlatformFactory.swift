import Egress
import Gateway
import Logging
import Registry
import RegistryPostgres
import Sandbox
import Scheduler

/// What `faas serve` needs to build its platform.
struct ServeOptions: Sendable {
    /// Holds `registry.sqlite` and `images/`.
    var dataDirectory: String
    var logger: Logger
    /// Threads that run guest code.
    var workerThreads = SchedulerConfiguration.defaultWorkerThreads
    /// Whether each worker thread is pinned to a CPU of its own.
    var pinWorkers = false
    /// Instances kept per module for later cold starts (``IntravisorConfiguration/recycledInstances``).
    var recycledInstances = IntravisorConfiguration().recycledInstances
    /// This node's name in activation records and leases.
    var node = SchedulerConfiguration.defaultNode
    /// The most bytes of keys and values one key-value store may hold.
    var kvQuota = KeyValueRules.defaultQuotaBytes
    /// The platform runtimes' modules (`runtime: js`).
    var runtimes: [GuestRuntime: [UInt8]] = [:]
    /// A PostgreSQL registry shared with other nodes (`--registry`); nil: SQLite in the data folder.
    var registryURL: String?
}

/// Builds the platform behind `faas serve`: the registry in the data folder, the Intravisor
/// monitor, and the scheduler over both, with every current function loaded and prewarmed.
enum PlatformFactory {
    static func make(_ options: ServeOptions) async throws -> SchedulerPlatform {
        let shared = try await options.registryURL.asyncMap { url in
            try await PostgresRegistry.open(
                url: url, directory: options.dataDirectory, kvQuota: options.kvQuota, logger: options.logger)
        }
        let registry = try shared?.registry
            ?? FunctionRegistry.open(directory: options.dataDirectory, kvQuota: options.kvQuota, logger: options.logger)
        let scheduler = Scheduler(
            registry: registry, intravisor: Intravisor(configuration: .init(recycledInstances: options.recycledInstances)),
            configuration: SchedulerConfiguration(
                workerThreads: options.workerThreads, pinWorkers: options.pinWorkers, node: options.node, outbound: CurlClient(),
                runtimes: options.runtimes),
            logger: options.logger.with(label: "faas.scheduler"))
        await scheduler.start()
        let runner = AsyncRunner(scheduler: scheduler, logger: options.logger.with(label: "faas.async"))
        await runner.start()
        // Deploys, rollbacks and removals made on other nodes: heard by NOTIFY, re-read every 2 s.
        shared?.watch { await scheduler.syncWithRegistry() }
        return SchedulerPlatform(scheduler: scheduler, runner: runner, registry: registry) { shared?.close() }
    }
}

extension Logger {
    fileprivate func with(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async throws -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
