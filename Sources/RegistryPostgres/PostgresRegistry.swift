import Foundation
public import Logging
import NIOPosix
import PostgresNIO
public import Registry
public import Sandbox
import Synchronization

/// A function registry shared by every node started with the same PostgreSQL URL: the stores of
/// this module over one ``RegistryDatabase``, images cached in the node's data folder, and the
/// watch that tells the node when another one changed what is deployed.
///
/// ```swift
/// let shared = try await PostgresRegistry.open(url: url, directory: ".faas", logger: logger)
/// let watch = shared.watch { await scheduler.syncWithRegistry() }   // on NOTIFY, on reconnect, every 2 s
/// ```
public final class PostgresRegistry: Sendable {
    public let database: RegistryDatabase
    public let registry: FunctionRegistry
    private let logger: Logger
    private let watchTask = Mutex<Task<Void, Never>?>(nil)

    /// Connects (failing fast on a wrong URL or password), applies the schema, and assembles the registry.
    /// - Parameter directory: the node's data folder, which caches images under `images/`.
    public static func open(
        url text: String, directory: String, limits: ArchiveLimits = .init(), activationLimits: ActivationLimits = .init(),
        kvQuota: Int = KeyValueRules.defaultQuotaBytes, logger: Logger
    ) async throws(RegistryError) -> PostgresRegistry {
        let url: RegistryURL
        do { url = try RegistryURL(text) } catch {
            throw RegistryError(.unavailable, error.description)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RegistryError(.unavailable, "cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        let database = try await RegistryDatabase.connect(url, logger: logger)
        do {
            try await PostgresSchema.migrate(database, logger: logger)
        } catch {
            database.close()
            throw error
        }
        let functions = PostgresFunctionStore(database: database, logger: logger)
        let cache = try FileImageStore(directory: directory + "/images")
        let images = PostgresImageStore(database: database, cache: cache, logger: logger)
        let registry = FunctionRegistry(
            functions: functions, images: images,
            activations: ActivationLog(store: functions, limits: activationLimits, logger: logger),
            queue: PostgresAsyncQueue(database: database, limits: activationLimits, logger: logger),
            keyValue: PostgresKeyValueStore(database: database, quotaBytes: kvQuota, logger: logger),
            nodes: PostgresNodeDirectory(database: database, logger: logger), isShared: true,
            limits: limits, logger: logger)
        logger.info("registry", metadata: ["faas.registry": "\(url.redacted)"])
        return PostgresRegistry(database: database, registry: registry, logger: logger)
    }

    private init(database: RegistryDatabase, registry: FunctionRegistry, logger: Logger) {
        self.database = database
        self.registry = registry
        self.logger = logger
    }

    /// Calls `resync` whenever what is deployed may have changed elsewhere: on every notification
    /// of ``PostgresSchema/channel``, after every (re)connect of the listening connection (a
    /// notification sent while it was down is lost), and every `interval` in any case. Calls never
    /// overlap; a change during a call makes one more call after it.
    public func watch(every interval: Duration = .seconds(2), _ resync: @escaping @Sendable () async -> Void) {
        let coalescer = Coalescer(resync)
        let database = database
        let logger = logger
        let task = Task(executorPreference: RegistryDatabase.bridgeExecutor) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        coalescer.poke()
                    }
                }
                group.addTask {
                    var failures = 0
                    while !Task.isCancelled {
                        do {
                            let connection = try await RegistryDatabase.withTimeout(.seconds(5)) {
                                try await PostgresConnection.connect(
                                    configuration: database.url.connectionConfiguration, id: 1, logger: logger)
                            }
                            if failures > 0 { logger.notice("registry notifications are back") }
                            failures = 0
                            coalescer.poke()
                            try await connection.listen(on: PostgresSchema.channel) { notifications in
                                for try await _ in notifications { coalescer.poke() }
                            }
                            try? await connection.close()
                        } catch {
                            if failures == 0, !Task.isCancelled {
                                logger.warning(
                                    "registry notifications lost; re-reading every \(interval) until they are back",
                                    metadata: ["error": "\(RegistryDatabase.describe(error))"])
                            }
                            failures += 1
                        }
                        try? await Task.sleep(for: .milliseconds(min(200 * (1 << min(failures, 4)), 2000)))
                    }
                }
            }
        }
        watchTask.withLock { $0 = task }
    }

    /// Stops the watch and the database's pool (after the registry's own `close`).
    public func close() {
        watchTask.withLock { task in
            task?.cancel()
            task = nil
        }
        database.close()
    }
}

/// Runs one call at a time; pokes during a call make exactly one more.
private final class Coalescer: Sendable {
    private let state = Mutex<(running: Bool, again: Bool)>((false, false))
    private let body: @Sendable () async -> Void

    init(_ body: @escaping @Sendable () async -> Void) { self.body = body }

    func poke() {
        let start = state.withLock { state -> Bool in
            if state.running {
                state.again = true
                return false
            }
            state.running = true
            return true
        }
        guard start else { return }
        Task {
            while true {
                await body()
                let more = state.withLock { state -> Bool in
                    if state.again {
                        state.again = false
                        return true
                    }
                    state.running = false
                    return false
                }
                if !more { return }
            }
        }
    }
}
