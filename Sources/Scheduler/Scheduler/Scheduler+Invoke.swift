import Foundation
import Registry
public import Sandbox
import Synchronization

extension Scheduler {
    /// Runs `function` (its current version, or `version` when pinned) on `request`.
    ///
    /// Never throws: every outcome, from an unknown function to a capability fault, is an answer
    /// with the SPEC's error code. With `async`, the invocation is queued and the answer says it
    /// was accepted; the result is stored with the activation.
    public func invoke(
        function: String, version: Int?, request: InvocationRequest, async isAsync: Bool = false
    ) async -> InvocationAnswer {
        let arrival = ContinuousClock.now
        let runtime: VersionRuntime
        do {
            runtime = try await self.runtime(for: function, version: version)
        } catch {
            return InvocationAnswer(activation: nil, start: nil, duration: .now - arrival, result: .failure(error))
        }
        let deadline = arrival + runtime.manifest.timeout
        let activation = ActivationID.make()

        let admitted = admit(runtime)
        guard let ticket = admitted.ticket else {
            return InvocationAnswer(
                activation: nil, start: nil, duration: .now - arrival, result: .failure(admitted.failure!))
        }
        if isAsync {
            record(runtime, activation: activation, status: .queued)
            Task {
                _ = await self.perform(
                    runtime, ticket: ticket, waits: admitted.waits, request: request,
                    activation: activation, arrival: arrival, deadline: deadline, storeResult: true)
            }
            return InvocationAnswer(
                activation: activation, start: nil, duration: .now - arrival,
                result: .success(InvocationResponse(status: 202, headers: [], body: [])), isAccepted: true)
        }
        return await perform(
            runtime, ticket: ticket, waits: admitted.waits, request: request, activation: activation,
            arrival: arrival, deadline: deadline, storeResult: false)
    }

    /// The admission decision for one arriving invocation.
    private func admit(_ runtime: VersionRuntime) -> (ticket: UInt64?, waits: Bool, failure: SchedulerFailure?) {
        state.withLock { state in
            guard !state.shuttingDown else {
                return (nil, false, .unavailable("the gateway is shutting down"))
            }
            guard var entry = state.functions[runtime.function] else {
                return (nil, false, .notFound("function \(runtime.function) was removed"))
            }
            let ticket = state.nextTicket
            state.nextTicket += 1
            defer { state.functions[runtime.function] = entry }
            switch entry.admission.arrive(ticket) {
            case .run:
                state.runningInvocations += 1
                return (ticket, false, nil)
            case .wait:
                entry.waiters[ticket] = .pending
                return (ticket, true, nil)
            case .reject:
                return (
                    nil, false,
                    SchedulerFailure(
                        code: "too_many_requests",
                        message: "\(runtime.function) is at its concurrency limit (\(entry.admission.concurrency)) "
                            + "and its queue (\(entry.admission.queueLimit)) is full",
                        retryAfterSeconds: entry.retryAfterSeconds)
                )
            }
        }
    }

    /// Waits for a slot if needed, runs the invocation on a worker thread, records the activation.
    private func perform(
        _ runtime: VersionRuntime, ticket: UInt64, waits: Bool, request: InvocationRequest, activation: String,
        arrival: ContinuousClock.Instant, deadline: ContinuousClock.Instant, storeResult: Bool
    ) async -> InvocationAnswer {
        if waits {
            let admittedInTime = await waitForSlot(runtime.function, ticket: ticket, deadline: deadline)
            let queueWait = ContinuousClock.now - arrival
            metrics.queueWait(function: runtime.function, duration: queueWait)
            guard admittedInTime else {
                let failure = SchedulerFailure.timeout(
                    "\(runtime.function) waited \(runtime.manifest.timeout) in the queue without a free compartment")
                finishRecord(
                    runtime, activation: activation, arrival: arrival, queueWait: queueWait, execution: nil,
                    failure: failure, storeResult: storeResult)
                return InvocationAnswer(activation: activation, start: nil, duration: .now - arrival, result: .failure(failure))
            }
        }
        let queueWait = ContinuousClock.now - arrival
        if storeResult {
            record(runtime, activation: activation, status: .running)
        }
        let context = InvocationContext(activation: activation, deadline: deadline)
        let execution = await workers.run(key: runtime.function) {
            self.execute(runtime, request: request, context: context)
        }
        return finishRecord(
            runtime, activation: activation, arrival: arrival, queueWait: queueWait, execution: execution,
            failure: nil, storeResult: storeResult)
    }

    /// Parks until admitted (true) or until the deadline passes while still queued (false).
    private func waitForSlot(_ function: String, ticket: UInt64, deadline: ContinuousClock.Instant) async -> Bool {
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.expireWaiter(function, ticket: ticket)
        }
        let admitted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let early: Bool? = state.withLock { state in
                switch state.functions[function]?.waiters[ticket] {
                case .admitted?:
                    state.functions[function]?.waiters[ticket] = nil
                    return true
                case .pending?:
                    state.functions[function]?.waiters[ticket] = .parked(continuation)
                    return nil
                case .parked?, nil:
                    return false  // expired before parking
                }
            }
            if let early { continuation.resume(returning: early) }
        }
        timer.cancel()
        return admitted
    }

    /// The deadline of a queued ticket passed: take it out of the queue if it is still there.
    private func expireWaiter(_ function: String, ticket: UInt64) {
        let continuation: CheckedContinuation<Bool, Never>? = state.withLock { state in
            guard var entry = state.functions[function], entry.admission.cancel(ticket) else { return nil }
            defer { state.functions[function] = entry }
            let waiter = entry.waiters.removeValue(forKey: ticket)
            if case .parked(let continuation)? = waiter { return continuation }
            return nil  // not parked yet: the missing entry tells waitForSlot it expired
        }
        continuation?.resume(returning: false)
    }

    /// Hands a freed slot to the next waiting ticket, or releases it (lock held). Returns the
    /// continuation to resume once the lock is released.
    static func releaseSlot(_ state: inout State, function: String) -> CheckedContinuation<Bool, Never>? {
        guard var entry = state.functions[function] else {
            state.runningInvocations -= 1
            return nil
        }
        defer { state.functions[function] = entry }
        guard let next = entry.admission.finish() else {
            state.runningInvocations -= 1
            return nil
        }
        switch entry.waiters[next] {
        case .parked(let continuation)?:
            entry.waiters[next] = nil
            return continuation
        case .pending?:
            entry.waiters[next] = .admitted
            return nil
        case .admitted?, nil:
            return nil
        }
    }

    /// What happened on the worker thread.
    struct Execution: Sendable {
        var outcome: InvocationOutcome?
        var failure: SchedulerFailure?
        var start: StartKind
        var initTime: Duration
    }

    /// Runs one admitted invocation on the current (worker) thread: a sealed compartment if the
    /// pool has one, else a new one (a cold start); then returns or destroys it and frees the slot.
    func execute(_ runtime: VersionRuntime, request: InvocationRequest, context: InvocationContext) -> Execution {
        var start = StartKind.warm
        var initTime = Duration.zero
        var handle: CompartmentHandle? = state.withLock { state in
            let taken = runtime.pool.checkout()
            if let taken {
                taken.isRunning = true
                state.runningHandles[taken.id] = taken
            }
            return taken
        }
        if handle == nil {
            start = .cold
            let began = ContinuousClock.now
            do {
                let created = try createCompartment(runtime, evicting: true)
                state.withLock { state in
                    runtime.pool.beginColdRun()
                    created.isRunning = true
                    state.runningHandles[created.id] = created
                }
                handle = created
            } catch {
                let next = state.withLock { Self.releaseSlot(&$0, function: runtime.function) }
                next?.resume(returning: true)
                return Execution(outcome: nil, failure: error, start: start, initTime: .now - began)
            }
            initTime = .now - began
            metrics.coldStart(function: runtime.function, duration: initTime)
        }
        let compartment = handle!
        let outcome = compartment.compartment.invoke(request, context: context)
        let reusable = compartment.compartment.state == .sealed
        let memory = compartment.compartment.memoryBytes
        let (returned, next): (WarmPool<CompartmentHandle>.Return, CheckedContinuation<Bool, Never>?) =
            state.withLock { state in
                compartment.isRunning = false
                compartment.invocations += 1
                state.runningHandles[compartment.id] = nil
                state.liveMemoryBytes += memory - compartment.memoryBytes
                compartment.memoryBytes = memory
                let returned = runtime.pool.checkin(compartment, reusable: reusable, now: clock.now())
                if case .success(_, let report) = outcome, var entry = state.functions[runtime.function] {
                    entry.averageRun = (entry.averageRun * 7 + report.runTime) / 8
                    state.functions[runtime.function] = entry
                }
                return (returned, Self.releaseSlot(&state, function: runtime.function))
            }
        next?.resume(returning: true)
        if case .destroy(let dead) = returned {
            destroy([dead])
            refill(runtime)
        }
        return Execution(outcome: outcome, failure: nil, start: start, initTime: initTime)
    }
}

/// Activation ids: 32 lowercase hex digits from the system's random generator.
enum ActivationID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
