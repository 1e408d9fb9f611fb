import Foundation
import Logging
public import Registry
import Sandbox
import Synchronization

extension Scheduler {
    /// Deploys an archive: validates and stores it through the registry, loads the new version,
    /// makes it current and prewarms it; the previous version's pool drains.
    public func deploy(archive: [UInt8]) async throws(SchedulerFailure) -> DeployResult {
        let outcome: Result<DeployResult, SchedulerFailure>
        do {
            outcome = try await onIO {
                do throws(RegistryError) {
                    return .success(try self.registry.deploy(archive: archive, check: self.checkBeforeDeploy))
                } catch {
                    return .failure(SchedulerFailure(registry: error))
                }
            }
        } catch {
            outcome = .failure(.unavailable("registry unavailable: \(error)"))
        }
        switch outcome {
        case .success(let result):
            metrics.deploy(result: "success")
            await activate(function: result.name, version: result.version)
            return result
        case .failure(let failure):
            metrics.deploy(result: "failure")
            throw failure
        }
    }

    /// Moves `function` back to `version` (nil: the one before the current one).
    public func rollback(function: String, to version: Int?) async throws(SchedulerFailure) -> VersionInfo {
        let outcome: Result<VersionInfo, SchedulerFailure> =
            (try? await onIO {
                do throws(RegistryError) {
                    return .success(try self.registry.rollback(function: function, to: version))
                } catch {
                    return .failure(SchedulerFailure(registry: error))
                }
            }) ?? .failure(.unavailable("registry unavailable"))
        let info = try outcome.get()
        await activate(function: function, version: info.version)
        return info
    }

    /// Loads `version` of `function` and makes it current, unless a newer version already is
    /// (two deploys racing: the registry's order wins).
    private func activate(function: String, version: Int) async {
        let loaded: Result<VersionRuntime, SchedulerFailure> =
            (try? await onIO { () -> Result<VersionRuntime, SchedulerFailure> in
                do {
                    let found = try self.registry.image(function: function, version: version)
                    let image = try self.compartmentImage(of: found.image, version: found.version)
                    let current = try self.registry.function(named: function)?.version ?? version
                    return .success(
                        self.install(
                            function: function, version: found.version, manifest: found.image.manifest, image: image,
                            makeCurrent: current == found.version))
                } catch let error as RegistryError {
                    return .failure(SchedulerFailure(registry: error))
                } catch let error as SchedulerFailure {
                    return .failure(error)
                } catch {
                    return .failure(.unavailable("\(error)"))
                }
            }) ?? .failure(.unavailable("registry unavailable"))
        if case .failure(let failure) = loaded {
            logger.error(
                "cannot activate version",
                metadata: ["faas.function": "\(function)", "faas.version": "\(version)", "error": "\(failure)"])
        }
    }

    /// Removes `function`: its pools drain (running invocations finish) and the registry forgets it.
    public func remove(function: String) async throws(SchedulerFailure) {
        let outcome: Result<Void, SchedulerFailure> =
            (try? await onIO {
                do throws(RegistryError) {
                    try self.registry.remove(function: function)
                    return .success(())
                } catch {
                    return .failure(SchedulerFailure(registry: error))
                }
            }) ?? .failure(.unavailable("registry unavailable"))
        try outcome.get()
        forget(function: function, because: "\(function) was removed while this invocation waited")
    }

    /// Drains `function`'s pools and forgets it here; its queued invocations are answered 404 with `reason`.
    private func forget(function: String, because reason: String) {
        let (drained, waiters): ([CompartmentHandle], [PendingInvocation]) = state.withLock { state in
            guard let entry = state.functions.removeValue(forKey: function) else { return ([], []) }
            var drained: [CompartmentHandle] = []
            for runtime in entry.runtimes.values { drained += runtime.pool.drain() }
            return (drained, Array(entry.waiters.values))
        }
        destroy(drained)
        // Queued invocations of a removed function will not run: they hear so now.
        for invocation in waiters {
            answerWithoutRunning(invocation, .notFound(reason))
        }
        metrics.compartments(function: function, sealed: 0, running: 0)
    }

    /// Brings what this node serves in line with a registry other nodes share: a function whose
    /// current version changed there (deploy, rollback) loads that version and drains the old one's
    /// pool, as a local deploy does; a function removed there is forgotten here. Functions this node
    /// has not loaded yet load on their first invocation. Called on every change notification and
    /// every few seconds; a registry that cannot be read leaves everything as it is.
    public func syncWithRegistry() async {
        guard let summaries = try? await onIO({ try self.registry.list() }) else { return }
        let current = Dictionary(summaries.map { ($0.name, $0.version) }, uniquingKeysWith: { first, _ in first })
        let loaded: [String: Int] = state.withLock { state in state.functions.mapValues(\.current) }
        for (function, version) in loaded {
            guard let registered = current[function] else {
                forget(function: function, because: "\(function) was removed while this invocation waited")
                logger.info("function removed on another node", metadata: ["faas.function": "\(function)"])
                continue
            }
            if registered != version {
                await activate(function: function, version: registered)
                logger.info(
                    "function changed on another node",
                    metadata: ["faas.function": "\(function)", "faas.version": "\(registered)"])
            }
        }
    }

    /// Invocations running now on this node.
    public var runningInvocations: Int { state.withLock { $0.runningInvocations } }

    /// The manifest of `function`'s current version, loading it if needed; nil when there is no
    /// such function.
    public func manifest(function: String) async -> Manifest? {
        try? await runtime(for: function, version: nil).manifest
    }

    /// The pool of `function`'s current version at a glance.
    public func pool(function: String) -> PoolStatus {
        state.withLock { state in
            guard let entry = state.functions[function] else { return PoolStatus(sealed: 0, running: 0, queued: 0) }
            let sealed = entry.runtimes.values.reduce(0) { $0 + $1.pool.idle.count }
            return PoolStatus(sealed: sealed, running: entry.admission.running, queued: entry.admission.queued)
        }
    }

    /// Every live compartment, sealed or running, ordered by id.
    public func compartments() -> [CompartmentInfo] {
        let infos: [CompartmentInfo] = state.withLock { state in
            var infos = state.runningHandles.values.map(\.info)
            for entry in state.functions.values {
                for runtime in entry.runtimes.values {
                    infos += runtime.pool.idleElements.map(\.info)
                }
            }
            return infos
        }
        return infos.sorted { $0.id < $1.id }
    }

    /// The metrics of the SPEC in the Prometheus text format.
    public func prometheusText() -> String {
        // The compartment gauges are read from the pools when scraped, not pushed on every
        // invocation: that would take the scheduler's lock twice more on the hot path.
        let functions = state.withLock { Array($0.functions.keys) }
        for function in functions { publishGauges(function) }
        publishRecycled()
        return metrics.prometheusText()
    }

    /// Sums the shelves of every module a loaded version or a platform runtime uses (the images of
    /// one runtime share its module, and so its shelf).
    private func publishRecycled() {
        var modules: [ObjectIdentifier: PreparedModule] = [:]
        state.withLock { state in
            for entry in state.functions.values {
                for runtime in entry.runtimes.values { modules[ObjectIdentifier(runtime.image.prepared)] = runtime.image.prepared }
            }
        }
        for prepared in preparedRuntimes.withLock({ Array($0.values) }) { modules[ObjectIdentifier(prepared)] = prepared }
        metrics.recycled(
            instances: modules.values.reduce(0) { $0 + $1.recycledInstances },
            bytes: modules.values.reduce(0) { $0 + $1.recycledBytes })
    }

    /// Stops admitting, lets running invocations finish (at most `grace`), destroys every
    /// compartment, stops the threads and flushes the activation log.
    public func shutdown(grace: Duration = .seconds(10)) async {
        state.withLock { $0.shuttingDown = true }
        reaperTask.withLock { task in
            task?.cancel()
            task = nil
        }
        let deadline = ContinuousClock.now + grace
        while state.withLock({ $0.runningInvocations }) > 0 && .now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let remaining: [CompartmentHandle] = state.withLock { state in
            var all: [CompartmentHandle] = []
            for entry in state.functions.values {
                for runtime in entry.runtimes.values { all += runtime.pool.drain() }
            }
            return all
        }
        destroy(remaining)
        // Off the task's thread: a guest still running past the grace (one answered at its
        // deadline runs on until its fuel is spent) keeps the workers busy, and waiting for them
        // must not hold a thread of the cooperative pool meanwhile.
        _ = try? await onIO { [workers, registry] in
            workers.shutdown()
            registry.activations.flush()
        }
    }
}
