import Dispatch
import Foundation
public import Logging
import NIOCore
import NIOPosix
public import PostgresNIO
public import Registry
import Synchronization

/// The PostgreSQL database every node of a shared registry uses: one `PostgresClient` (a pool of
/// connections), the timeout every operation runs under, and the bridge for the registry's
/// blocking protocols.
///
/// The registry's `FunctionStore`, `ImageStore`, `ActivationStore` and `KeyValueStore` are
/// synchronous: their callers already run on threads that may block (the scheduler's I/O queue,
/// the activation writer, guest worker threads), never on the cooperative pool. ``blocking(_:_:)``
/// runs the async query in a task and parks the calling thread until it ends; the query itself
/// runs on this database's own event loops, so a parked caller never holds up its own answer.
public final class RegistryDatabase: Sendable {
    public let client: PostgresClient
    public let url: RegistryURL
    let logger: Logger
    /// The longest one operation may take before it fails with `unavailable` (5 s): a registry
    /// that stopped answering turns into 503s, not into requests that hang.
    let timeout: Duration
    private let group: MultiThreadedEventLoopGroup
    private let runner = Mutex<Task<Void, Never>?>(nil)

    /// Connects once, directly, to check the URL and the password, then starts the pool.
    /// - Throws: `unavailable` naming the problem (refused, unknown host, authentication) within
    ///   `connectTimeout`; the password never appears in the message.
    public static func connect(
        _ url: RegistryURL, logger: Logger, timeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(5)
    ) async throws(RegistryError) -> RegistryDatabase {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let connection = try await withTaskExecutorPreference(bridgeExecutor) {
                try await withTimeout(connectTimeout) {
                    try await PostgresConnection.connect(
                        on: group.next(), configuration: url.connectionConfiguration, id: 0, logger: logger)
                }
            }
            try? await connection.close()
        } catch {
            try? await group.shutdownGracefully()
            throw RegistryError(.unavailable, "cannot connect to the registry \(url.redacted): \(describe(error))")
        }
        return RegistryDatabase(url: url, group: group, logger: logger, timeout: timeout)
    }

    private init(url: RegistryURL, group: MultiThreadedEventLoopGroup, logger: Logger, timeout: Duration) {
        var configuration = url.clientConfiguration
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.maximumConnections = 16
        configuration.options.minimumConnections = 2
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(10))
        self.url = url
        self.group = group
        self.logger = logger
        self.timeout = timeout
        client = PostgresClient(configuration: configuration, eventLoopGroup: group, backgroundLogger: logger)
        let client = client
        // The pool's own work (opening, leasing, health checks) must not need the cooperative
        // pool either: callers parked in ``wait(_:)`` may be holding all of its threads.
        runner.withLock { $0 = Task(executorPreference: Self.bridgeExecutor) { await client.run() } }
    }

    /// Stops the pool (cancelling what is in flight) and its event loop.
    public func close() {
        let task = runner.withLock { task in
            defer { task = nil }
            return task
        }
        guard let task else { return }
        task.cancel()
        let group = group
        Task.detached { try? await group.shutdownGracefully() }
    }

    // MARK: - Running operations

    /// Runs `body` with a pooled connection under the timeout; any failure is `unavailable`
    /// "registry database: cannot `what`: …", except a `RegistryError` the body throws itself.
    public func run<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(RegistryError) -> T {
        let client = client
        do {
            // On this database's own threads, whoever calls: a busy or parked cooperative pool
            // must not run the clock out on an operation PostgreSQL answered in time.
            return try await withTaskExecutorPreference(Self.bridgeExecutor) {
                try await Self.withTimeout(timeout) { try await client.withConnection { try await body($0) } }
            }
        } catch {
            throw Self.failure(what, error)
        }
    }

    /// Runs `body` in one transaction (`BEGIN` … `COMMIT`, rolled back when it throws).
    public func transaction<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(RegistryError) -> T {
        let logger = logger
        return try await run(what) { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// ``run(_:_:)`` for a caller on a thread that may block (see the type's note).
    public func blocking<T: Sendable>(
        _ what: String, transaction: Bool = false, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) throws(RegistryError) -> T {
        let result = Self.wait { () async -> Result<T, RegistryError> in
            do throws(RegistryError) {
                return .success(try await transaction ? self.transaction(what, body) : self.run(what, body))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Runs `body` to its end while the calling thread waits.
    ///
    /// The task prefers ``bridgeExecutor``, threads of its own: a caller parked here, even on the
    /// cooperative pool, never holds a thread the task needs, so many parked callers cannot
    /// deadlock the pool.
    public static func wait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let outcome = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: bridgeExecutor) {
            let value = await body()
            outcome.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return outcome.withLock { $0! }
    }

    /// Where the tasks of ``wait(_:)`` run.
    static let bridgeExecutor = DispatchTaskExecutor(label: "faas.registry.postgres")

    // MARK: - Errors

    static func failure(_ what: String, _ error: any Error) -> RegistryError {
        if let error = error as? RegistryError { return error }
        return RegistryError(.unavailable, "registry database: cannot \(what): \(describe(error))")
    }

    /// What went wrong, in words, without the connection's credentials.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            if let underlying = error.underlying { return "\(error.code): \(describe(underlying))" }
            return "\(error.code)"
        case let error as PostgresTransactionError:
            return describe(error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError ?? error)
        case is TimedOut:
            return "no answer within the timeout (is PostgreSQL running and reachable?)"
        case let error as IOError:
            return error.description
        case is CancellationError:
            return "cancelled"
        default:
            return String(describing: error)
        }
    }

    /// The SQLSTATE of a server error, or nil.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    struct TimedOut: Error {}

    /// `body`, or ``TimedOut`` when it takes longer than `limit` (then `body` is cancelled).
    static func withTimeout<T: Sendable>(
        _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw TimedOut()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }
}

extension PostgresRowSequence {
    /// Every row, collected.
    func all() async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in self { rows.append(row) }
        return rows
    }
}

/// A task executor on a concurrent dispatch queue, apart from the cooperative pool.
final class DispatchTaskExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
