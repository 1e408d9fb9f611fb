import Logging
import Registry
import Sandbox
import Synchronization

extension Scheduler {
    /// The runtime that serves `function` at `version` (nil: the current one), loading the image
    /// from the registry and prewarming the pool the first time.
    func runtime(for function: String, version: Int?) async throws(SchedulerFailure) -> VersionRuntime {
        if let found = cachedRuntime(function, version) { return found }
        let loaded: Result<VersionRuntime, SchedulerFailure> =
            (try? await onIO { self.loadRuntime(function, version) }) ?? .failure(.unavailable("registry unavailable"))
        return try loaded.get()
    }

    /// The same, for a caller already on a thread that may block (CAP-Calls).
    func runtimeBlocking(for function: String, version: Int?) throws(SchedulerFailure) -> VersionRuntime {
        if let found = cachedRuntime(function, version) { return found }
        return try loadRuntime(function, version).get()
    }

    private func cachedRuntime(_ function: String, _ version: Int?) -> VersionRuntime? {
        state.withLock { state in
            guard let entry = state.functions[function] else { return nil }
            return entry.runtimes[version ?? entry.current]
        }
    }

    /// Reads the image, parses it into a compartment image and installs the runtime.
    private func loadRuntime(_ function: String, _ version: Int?) -> Result<VersionRuntime, SchedulerFailure> {
        let found: (version: Int, image: FunctionImage)
        do {
            found = try registry.image(function: function, version: version)
        } catch {
            return .failure(SchedulerFailure(registry: error))
        }
        let compartmentImage: CompartmentImage
        do {
            compartmentImage = try self.compartmentImage(of: found.image, version: found.version)
        } catch {
            return .failure(error)
        }
        return .success(install(function: function, version: found.version, manifest: found.image.manifest,
                                image: compartmentImage, makeCurrent: version == nil))
    }

    /// Adds a loaded runtime; when it becomes current, the previous current version's pool drains.
    /// Returns the installed runtime (an existing one if another task won the race).
    @discardableResult
    func install(
        function: String, version: Int, manifest: Manifest, image: CompartmentImage, makeCurrent: Bool
    ) -> VersionRuntime {
        var drained: [CompartmentHandle] = []
        let runtime: VersionRuntime = state.withLock { state in
            let entry = state.functions[function] ?? FunctionState(current: version, manifest: manifest)
            if makeCurrent && version != entry.current, let old = entry.runtimes.removeValue(forKey: entry.current) {
                drained = old.pool.drain()
            }
            if makeCurrent {
                entry.current = version
                _ = entry.admission.reconfigure(concurrency: manifest.concurrency, queue: manifest.queue)
            }
            let runtime = entry.runtimes[version] ?? VersionRuntime(
                function: function, version: version, manifest: manifest, image: image,
                isCurrent: version == entry.current)
            entry.runtimes[version] = runtime
            state.functions[function] = entry
            return runtime
        }
        destroy(drained)
        refill(runtime)
        return runtime
    }

    /// Creates compartments in the background until the pool holds `warm` sealed ones.
    func refill(_ runtime: VersionRuntime) {
        let count = state.withLock { state in
            guard !state.shuttingDown else { return 0 }
            let deficit = runtime.pool.deficit
            runtime.pool.beginCreating(deficit)
            return deficit
        }
        for _ in 0..<count {
            workers.submit(key: "warm:\(runtime.function)") { [self] in
                let handle = try? createCompartment(runtime, evicting: false)
                let orphan = state.withLock { _ in runtime.pool.finishCreating(handle, now: clock.now()) }
                if let orphan { destroy([orphan]) }
                publishGauges(runtime.function)
            }
        }
    }

    /// Instantiates, initialises and seals a compartment for `runtime`, within the global budget.
    /// - Parameter evicting: whether to evict idle compartments of other functions to make room
    ///   (invocations do; background prewarming does not).
    func createCompartment(_ runtime: VersionRuntime, evicting: Bool) throws(SchedulerFailure) -> CompartmentHandle {
        let reservation = runtime.manifest.initialMemoryEstimate
        var evicted: [CompartmentHandle] = []
        let id: UInt64? = state.withLock { state in
            while state.liveCompartments + 1 > configuration.maxCompartments
                || state.liveMemoryBytes + reservation > configuration.maxMemoryBytes
            {
                guard evicting, let victim = Self.evictLeastRecentlyUsed(&state) else { return nil }
                // Its budget is released here, under the lock, so the loop sees the room it made.
                state.liveCompartments -= 1
                state.liveMemoryBytes -= victim.memoryBytes
                evicted.append(victim)
            }
            state.liveCompartments += 1
            state.liveMemoryBytes += reservation
            defer { state.nextCompartment += 1 }
            return state.nextCompartment
        }
        destroy(evicted, released: true)
        guard let id else {
            throw .unavailable("the platform's compartment budget is exhausted")
        }
        do {
            let compartment = try Compartment(image: runtime.image, id: id, services: hostServices)
            let handle = CompartmentHandle(
                compartment: compartment, id: id, function: runtime.function, version: runtime.version)
            state.withLock { state in state.liveMemoryBytes += handle.memoryBytes - reservation }
            return handle
        } catch {
            state.withLock { state in
                state.liveCompartments -= 1
                state.liveMemoryBytes -= reservation
            }
            throw SchedulerFailure(invocation: error)
        }
    }

    /// Removes the least recently used idle compartment across all functions (lock held).
    private static func evictLeastRecentlyUsed(_ state: inout State) -> CompartmentHandle? {
        var oldest: (runtime: VersionRuntime, used: ContinuousClock.Instant)?
        for entry in state.functions.values {
            for runtime in entry.runtimes.values {
                if let used = runtime.pool.oldestIdle, oldest == nil || used < oldest!.used {
                    oldest = (runtime, used)
                }
            }
        }
        return oldest?.runtime.pool.evictOldest()
    }

    /// Destroys compartments that no pool holds any more and returns their budget (unless the
    /// caller already did, `released`).
    func destroy(_ handles: [CompartmentHandle], released: Bool = false) {
        guard !handles.isEmpty else { return }
        for handle in handles { handle.compartment.destroy() }
        if !released {
            state.withLock { state in
                state.liveCompartments -= handles.count
                state.liveMemoryBytes -= handles.reduce(0) { $0 + $1.memoryBytes }
            }
        }
        for function in Set(handles.map(\.function)) { publishGauges(function) }
    }

    /// Collects idle compartments past their keep-alive and drained runtimes with nothing left.
    public func reap() {
        let now = clock.now()
        var expired: [CompartmentHandle] = []
        state.withLock { state in
            for entry in state.functions.values {
                for (version, runtime) in entry.runtimes {
                    expired += runtime.pool.expire(now: now)
                    if version != entry.current && runtime.pool.isEmpty {
                        entry.runtimes[version] = nil
                    }
                }
            }
        }
        destroy(expired)
    }

    /// Updates `faas_compartments{function,state}`.
    func publishGauges(_ function: String) {
        let counts = state.withLock { state -> (Int, Int)? in
            guard let entry = state.functions[function] else { return (0, 0) }
            return entry.runtimes.values.reduce((0, 0)) { ($0.0 + $1.pool.idle.count, $0.1 + $1.pool.running) }
        }
        if let counts { metrics.compartments(function: function, sealed: counts.0, running: counts.1) }
    }
}

extension Manifest {
    /// What a new compartment is charged against the memory budget before it exists: one page is
    /// the least any module has; the real size replaces it once the compartment is created.
    var initialMemoryEstimate: Int { 64 << 10 }
}
