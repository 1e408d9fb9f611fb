import Dispatch
import Foundation
import Logging
import Registry
import Sandbox
import Synchronization

/// The schedules of current versions (`schedule:`): one timer for the earliest next tick; each
/// tick is claimed in the registry (one row per function and tick, so that with several nodes
/// each tick runs once) together with the async activation it makes.
extension AsyncRunner {
    struct ScheduleState {
        struct Entry {
            var text: String
            var schedule: Schedule
            var next: Date
        }
        var entries: [String: Entry] = [:]
        /// Bumped whenever the timer is re-armed; a timer of an older generation does nothing.
        var generation = 0
        var stopped = false
    }

    /// Reads which current versions have a schedule and re-arms the tick timer: a function deployed
    /// with a schedule ticks from now on, a rollback changes its schedule, a removal stops it.
    /// An unchanged schedule keeps its next tick.
    public func schedulesChanged() async {
        let registry = scheduler.registry
        let found: [(String, ManifestSchedule)]
        do {
            found = try await scheduler.onIO {
                try registry.list().compactMap { summary in
                    try registry.function(named: summary.name).flatMap { detail in
                        detail.manifest.schedule.map { (detail.name, $0) }
                    }
                }
            }
        } catch {
            return logger.error("cannot read the schedules", metadata: ["error": "\(error)"])
        }
        let now = clock()
        let generation: Int? = schedules.withLock { state in
            guard !state.stopped else { return nil }
            var entries: [String: ScheduleState.Entry] = [:]
            for (name, manifestSchedule) in found {
                if let existing = state.entries[name], existing.text == manifestSchedule.text {
                    entries[name] = existing
                } else if let next = manifestSchedule.schedule.next(after: now) {
                    entries[name] = ScheduleState.Entry(text: manifestSchedule.text, schedule: manifestSchedule.schedule, next: next)
                }
            }
            state.entries = entries
            state.generation += 1
            return state.generation
        }
        if let generation { armTick(generation: generation) }
    }

    private func armTick(generation: Int) {
        guard let earliest = schedules.withLock({ $0.entries.values.map(\.next).min() }) else { return }
        let delay = max(0, earliest.timeIntervalSince(clock()))
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in
            guard let self else { return }
            Task { await self.tick(generation: generation) }
        }
    }

    /// Makes the ticks that are due into activations and re-arms for the next one. Ticks that fell
    /// while nothing ran are not made up: each entry moves on to its first tick after now.
    private func tick(generation: Int) async {
        let now = clock()
        let due: (ticks: [(String, Date)], generation: Int)? = schedules.withLock { state in
            guard !state.stopped, state.generation == generation else { return nil }
            var ticks: [(String, Date)] = []
            for (name, entry) in state.entries where entry.next <= now {
                ticks.append((name, entry.next))
                if let next = entry.schedule.next(after: now) {
                    state.entries[name]?.next = next
                } else {
                    state.entries[name] = nil
                }
            }
            state.generation += 1
            return (ticks, state.generation)
        }
        guard let due else { return }
        for (function, tick) in due.ticks { await fire(function: function, tick: tick) }
        armTick(generation: due.generation)
    }

    /// Claims `tick` of `function` and, if this process claimed it, runs its activation.
    private func fire(function: String, tick: Date) async {
        let reservation = await scheduler.reserve(function: function, version: nil)
        let runtime = try? reservation.get()
        var manifest = runtime?.manifest
        if manifest == nil { manifest = await scheduler.manifest(function: function) }
        guard let manifest else { return }
        let now = clock()
        let job = AsyncJob(
            id: ActivationID.make(), function: function, version: nil, trigger: .schedule,
            maxAttempts: manifest.retries + 1, runAfter: now,
            lease: runtime.map { _ in Lease(owner: owner, node: node, expires: now.addingTimeInterval(configuration.lease)) },
            request: StoredRequest(
                method: "POST", path: "", query: "", headers: [HTTPField(name: "X-Faas-Trigger", value: "schedule")], body: []),
            created: now)
        let claimed: Bool
        do {
            claimed = try await queue.claimTick(
                function: function, tick: tick, job: job, record: queuedRecord(job, version: runtime?.version ?? 0))
        } catch {
            if runtime != nil { scheduler.unreserve(function: function) }
            return logger.error("cannot claim a schedule tick", metadata: ["faas.function": "\(function)", "error": "\(error)"])
        }
        switch (claimed, runtime != nil) {
        case (true, true): run(job, reserved: true)
        case (true, false): wake(at: now)  // stored without a lease: claimed when its function has room
        case (false, true): scheduler.unreserve(function: function)  // another node has this tick
        case (false, false): break
        }
    }
}
