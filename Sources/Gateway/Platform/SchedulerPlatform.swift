import Foundation
public import Logging
import NIOHTTP1
public import Registry
import Sandbox
public import Scheduler
import Synchronization

/// The platform behind the gateway: the scheduler (compartments, admission, activations) and the
/// registry it stands on, seen through the operations the routes need.
///
/// Registry calls block on SQLite and the image folder, so they run on the scheduler's I/O queue,
/// never on an event loop or the cooperative pool.
public final class SchedulerPlatform: FunctionPlatform {
    public let scheduler: Scheduler
    /// Durable async activations and schedules.
    public let runner: AsyncRunner
    let registry: FunctionRegistry
    /// Runs after the registry closes (a shared registry's connections and watch).
    private let afterClose: @Sendable () -> Void
    private let heartbeat = Mutex<Task<Void, Never>?>(nil)
    /// How often this node writes its heartbeat row, and how long a node counts as seen after its last.
    static let heartbeatInterval: Duration = .seconds(5)
    static let seenWithin: TimeInterval = 30

    public init(
        scheduler: Scheduler, runner: AsyncRunner, registry: FunctionRegistry,
        afterClose: @escaping @Sendable () -> Void = {}
    ) {
        self.scheduler = scheduler
        self.runner = runner
        self.registry = registry
        self.afterClose = afterClose
    }

    /// Writes this node's heartbeat row now and every 5 s until shutdown: its name, `address`, start,
    /// live compartments and running invocations (`GET /nodes`).
    public func startHeartbeat(address: String, logger: Logger) {
        let started = Date()
        let node = scheduler.configuration.node
        let task = Task { [scheduler, registry] in
            var failing = false
            while !Task.isCancelled {
                let row = NodeInfo(
                    node: node, address: address, started: started, lastSeen: Date(),
                    compartments: scheduler.compartments().count, running: scheduler.runningInvocations)
                do {
                    try await registry.nodes.beat(row)
                    if failing { logger.notice("heartbeat written again") }
                    failing = false
                } catch {
                    if !failing { logger.warning("cannot write this node's heartbeat", metadata: ["error": "\(error)"]) }
                    failing = true
                }
                try? await Task.sleep(for: Self.heartbeatInterval)
            }
        }
        heartbeat.withLock { $0 = task }
    }

    public func nodes() async throws(PlatformError) -> [NodeSummary] {
        do {
            return try await registry.nodes.nodes(seenSince: Date().addingTimeInterval(-Self.seenWithin)).map {
                NodeSummary(
                    node: $0.node, address: $0.address, started: $0.started, lastSeen: $0.lastSeen,
                    compartments: $0.compartments, running: $0.running)
            }
        } catch {
            throw PlatformError(code: error.code.description, message: error.message)
        }
    }

    public func invoke(
        function: String, version: Int?, request: FunctionRequest, completion: @escaping @Sendable (InvokeAnswer) -> Void
    ) {
        scheduler.invoke(function: function, version: version, request: InvocationRequest(request)) { answer in
            completion(InvokeAnswer(answer))
        }
    }

    public func enqueue(
        function: String, version: Int?, request: FunctionRequest, idempotencyKey: String?
    ) async -> InvokeAnswer {
        let arrival = ContinuousClock.now
        let acceptance = await runner.accept(
            function: function, version: version, request: InvocationRequest(request), idempotencyKey: idempotencyKey)
        let durationUs = (ContinuousClock.now - arrival).microseconds
        switch acceptance {
        case .accepted(let activation):
            return InvokeAnswer(activation: activation, start: nil, durationUs: durationUs, outcome: .accepted)
        case .refused(let failure):
            return InvokeAnswer(activation: nil, start: nil, durationUs: durationUs, outcome: .failure(PlatformError(failure)))
        }
    }

    public func retry(activation id: String) async throws(PlatformError) {
        let answer: AsyncRunner.RetryAnswer
        do {
            answer = try await runner.retry(id: id)
        } catch {
            throw PlatformError(error)
        }
        switch answer {
        case .queued: return
        case .notFound: throw PlatformError(.notFound, "no activation '\(id)'")
        case .notDead(let state):
            throw PlatformError(.conflict, "activation '\(id)' is not dead (\(state)): only a dead activation can be retried")
        }
    }

    public func isPublic(function: String) async -> Bool {
        if let manifest = await scheduler.manifest(function: function) { return manifest.isPublic }
        // Not loadable (say, a corrupt image): the registry's record still says whether the
        // function is public, so a client without a token hears the real error, not 401.
        let detail = try? await onIO { registry in try registry.function(named: function) }
        return detail?.manifest.isPublic ?? false
    }

    public func deploy(archive: [UInt8]) async throws(PlatformError) -> Gateway.DeployResult {
        do {
            let result = try await scheduler.deploy(archive: archive)
            await runner.schedulesChanged()
            return Gateway.DeployResult(
                name: result.name, version: result.version, digest: result.digest, size: Int64(result.size),
                compressedSize: Int64(result.compressedSize))
        } catch {
            throw PlatformError(error)
        }
    }

    public func list() async throws(PlatformError) -> [Gateway.FunctionSummary] {
        try await onIO { registry in
            try registry.list().map {
                Gateway.FunctionSummary(name: $0.name, version: $0.version, description: $0.description, updated: $0.updated)
            }
        }
    }

    public func info(function: String) async throws(PlatformError) -> FunctionInfo? {
        guard let detail = try await onIO({ registry in try registry.function(named: function) }) else { return nil }
        let pool = scheduler.pool(function: function)
        let manifest: JSONValue
        do {
            manifest = try JSONValue(encoding: detail.manifest)
        } catch {
            throw PlatformError(.unavailable, "cannot render the manifest of \(function): \(error)")
        }
        return FunctionInfo(
            name: detail.name, version: detail.version, manifest: manifest,
            versions: detail.versions.map(Gateway.VersionInfo.init),
            pool: Gateway.PoolStatus(sealed: pool.sealed, running: pool.running, queued: pool.queued))
    }

    public func remove(function: String) async throws(PlatformError) {
        do {
            try await scheduler.remove(function: function)
            await runner.schedulesChanged()
        } catch {
            throw PlatformError(error)
        }
    }

    public func rollback(function: String, to version: Int?) async throws(PlatformError) -> Gateway.VersionInfo {
        do {
            let info = Gateway.VersionInfo(try await scheduler.rollback(function: function, to: version))
            await runner.schedulesChanged()
            return info
        } catch {
            throw PlatformError(error)
        }
    }

    public func activations(
        function: String?, status: Gateway.ActivationStatus?, limit: Int
    ) async throws(PlatformError) -> [ActivationInfo] {
        let status = status.flatMap { Registry.ActivationStatus(rawValue: $0.rawValue) }
        return try await onIO { registry in
            try registry.activations.list(function: function, status: status, limit: limit).map(ActivationInfo.init)
        }
    }

    public func activation(id: String) async throws(PlatformError) -> ActivationInfo? {
        try await onIO { registry in try registry.activations.get(id: id).map(ActivationInfo.init) }
    }

    public func activationResult(id: String) async throws(PlatformError) -> Gateway.StoredResult? {
        let record = try await onIO { registry in try registry.activations.get(id: id) }
        guard let record, record.isAsync else { return nil }
        if let stored = record.result {
            return Gateway.StoredResult(
                status: stored.status, headers: stored.headers.map { HeaderField(name: $0.name, value: $0.value) },
                body: stored.body)
        }
        guard record.status == .failed || record.status == .dead, let code = record.error else { return nil }  // not finished yet
        // A failed async activation's result is the answer a synchronous call would have had.
        let answer = GatewayResponse.error(PlatformError(code: code, message: record.message ?? ""))
        return Gateway.StoredResult(
            status: Int(answer.status.code), headers: answer.headers.map { HeaderField(name: $0.name, value: $0.value) },
            body: answer.body)
    }

    public func compartments() async -> [Gateway.CompartmentInfo] {
        scheduler.compartments().map {
            Gateway.CompartmentInfo(
                id: $0.id, function: $0.function, version: $0.version, state: $0.state == "running" ? .running : .sealed,
                memoryBytes: $0.memoryBytes, invocations: $0.invocations, created: $0.created)
        }
    }

    public func metricsText() async -> String {
        await runner.publishDepths()
        return scheduler.prometheusText()
    }

    public func shutdown(grace: Duration) async {
        runner.stop()
        await scheduler.shutdown(grace: grace)
        await runner.drain(timeout: .seconds(5))
        heartbeat.withLock { task in
            task?.cancel()
            task = nil
        }
        registry.close()
        afterClose()
    }

    // MARK: Key-value stores

    public func keyValueStores() async throws(PlatformError) -> [StoreSummary] {
        try await onKeyValue { (store: any KeyValueStore) throws(KeyValueFailure) in
            try store.stores().map { StoreSummary(store: $0.store, keys: $0.keys, bytes: $0.bytes) }
        }
    }

    public func keyValueKeys(
        store name: String, prefix: [UInt8], limit: Int
    ) async throws(PlatformError) -> [[UInt8]] {
        try await onKeyValue { (store: any KeyValueStore) throws(KeyValueFailure) in
            try store.keys(store: name, prefix: prefix, limit: limit)
        }
    }

    public func keyValueGet(store name: String, key: [UInt8]) async throws(PlatformError) -> [UInt8]? {
        try await onKeyValue { (store: any KeyValueStore) throws(KeyValueFailure) in
            try store.get(store: name, key: key)
        }
    }

    public func keyValuePut(store name: String, key: [UInt8], value: [UInt8]) async throws(PlatformError) {
        try await onKeyValue { (store: any KeyValueStore) throws(KeyValueFailure) in
            try store.set(store: name, key: key, value: value)
        }
    }

    public func keyValueDelete(store name: String, key: [UInt8]) async throws(PlatformError) -> Bool {
        try await onKeyValue { (store: any KeyValueStore) throws(KeyValueFailure) in
            try store.delete(store: name, key: key)
        }
    }

    /// Runs a store operation on the I/O queue, never the cooperative pool (it blocks on SQLite
    /// and, for writes, until the commit), mapping its failure to the contract's codes.
    private func onKeyValue<T: Sendable>(
        _ body: @escaping @Sendable (any KeyValueStore) throws(KeyValueFailure) -> T
    ) async throws(PlatformError) -> T {
        let store = registry.keyValue
        let result: Result<T, KeyValueFailure> = await withCheckedContinuation { continuation in
            scheduler.io.async {
                do throws(KeyValueFailure) {
                    continuation.resume(returning: .success(try body(store)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        do {
            return try result.get()
        } catch {
            throw PlatformError(error)
        }
    }

    /// Runs a registry read off the caller's thread, mapping its errors to the contract's codes.
    private func onIO<T: Sendable>(
        _ body: @escaping @Sendable (FunctionRegistry) throws -> T
    ) async throws(PlatformError) -> T {
        let registry = self.registry
        let result: Result<T, PlatformError> = await withCheckedContinuation { continuation in
            scheduler.io.async {
                do {
                    continuation.resume(returning: .success(try body(registry)))
                } catch let error as RegistryError {
                    continuation.resume(returning: .failure(PlatformError(code: error.code.description, message: error.message)))
                } catch {
                    continuation.resume(returning: .failure(PlatformError(.unavailable, "\(error)")))
                }
            }
        }
        return try result.get()
    }
}

extension InvokeAnswer {
    /// The scheduler's answer in the gateway's terms.
    init(_ answer: InvocationAnswer) {
        let outcome: Outcome
        switch answer.result {
        case .success(let response):
            outcome = .response(
                FunctionResponse(
                    status: response.status,
                    headers: response.headers.map { HeaderField(name: $0.name, value: $0.value) }, body: response.body))
        case .failure(let failure):
            outcome = .failure(PlatformError(failure))
        }
        let start: Gateway.StartKind? =
            switch answer.start {
            case .cold?: .cold
            case .warm?: .warm
            case nil: nil
            }
        self.init(
            activation: answer.activation, start: start, durationUs: answer.duration.microseconds, outcome: outcome)
    }
}

extension PlatformError {
    /// A scheduler failure with the same contract code.
    init(_ failure: SchedulerFailure) {
        self.init(
            code: failure.code, message: failure.message, retryAfterSeconds: failure.retryAfterSeconds,
            fault: failure.fault?.rawValue)
    }

    /// An error named by its contract code; an unknown code is `unavailable` (503).
    init(code: String, message: String, retryAfterSeconds: Int? = nil, fault: String? = nil) {
        self.init(ErrorCode(rawValue: code) ?? .unavailable, message, retryAfterSeconds: retryAfterSeconds, fault: fault)
    }
}

extension Gateway.VersionInfo {
    init(_ info: Registry.VersionInfo) {
        self.init(version: info.version, digest: info.digest, size: Int64(info.size), created: info.created)
    }
}

extension ActivationInfo {
    init(_ record: ActivationRecord) {
        self.init(
            id: record.id, function: record.function, version: record.version,
            status: Gateway.ActivationStatus(rawValue: record.status.rawValue) ?? .failed,
            start: record.start.flatMap(Gateway.StartKind.init(rawValue:)), queueUs: record.queueUs,
            initUs: record.initUs, runUs: record.runUs, exit: record.exit, error: record.error, message: record.message,
            logs: record.logs, fuelUsed: record.fuelUsed, created: record.created, attempts: record.attempts,
            trigger: Gateway.ActivationTrigger(rawValue: record.trigger.rawValue) ?? .http, node: record.node,
            history: record.history.map {
                AttemptInfo(
                    attempt: $0.attempt, status: Gateway.ActivationStatus(rawValue: $0.status.rawValue) ?? .failed,
                    error: $0.error, message: $0.message, logs: $0.logs, node: $0.node, runUs: $0.runUs, finished: $0.finished)
            })
    }
}

extension InvocationRequest {
    init(_ request: FunctionRequest) {
        self.init(
            method: request.method, path: request.path, query: request.query,
            headers: request.headers.map { HTTPField(name: $0.name, value: $0.value) }, body: request.body)
    }
}
