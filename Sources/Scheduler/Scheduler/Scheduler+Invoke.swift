import Dispatch
import Foundation
import Registry
public import Sandbox
import Synchronization

extension Scheduler {
    /// Runs `function` (its current version, or `version` when pinned) on `request`.
    ///
    /// Never throws: every outcome, from an unknown function to a capability fault, is an answer
    /// with the SPEC's error code. Async invocations go through ``AsyncRunner``, which stores them
    /// first and runs each attempt with ``runAttempt(_:completion:)``.
    public func invoke(function: String, version: Int?, request: InvocationRequest) async -> InvocationAnswer {
        await withCheckedContinuation { continuation in
            invoke(function: function, version: version, request: request) { continuation.resume(returning: $0) }
        }
    }

    /// The same, answering through `completion` instead of suspending a task.
    ///
    /// Never blocks the caller (an event loop may call it): admission takes the scheduler's lock
    /// once, the guest runs on a worker thread, and `completion` is called exactly once, on the
    /// thread that finishes the invocation (usually a worker), or on the caller's thread for an
    /// answer known at once (a refusal).
    public func invoke(
        function: String, version: Int?, request: InvocationRequest,
        completion: @escaping @Sendable (InvocationAnswer) -> Void
    ) {
        admitOrLoad(
            Admittance(function: function, version: version, request: request, activation: ActivationID.make()),
            arrival: .now, completion: completion)
    }

    /// Runs one attempt of a stored async activation, in a place reserved by ``reserve(function:version:)``
    /// when `attempt.reserved`. `completion` gets the answer with the attempt's record (which the
    /// caller stores); `attempt.onStart` is called on the worker thread just before the guest runs.
    public func runAttempt(_ attempt: AsyncAttempt, completion: @escaping @Sendable (InvocationAnswer) -> Void) {
        admitOrLoad(
            Admittance(
                function: attempt.function, version: attempt.version, request: attempt.request,
                activation: attempt.activation, reserved: attempt.reserved, storeResult: true, onStart: attempt.onStart),
            arrival: .now, completion: completion)
    }

    /// Holds a place in `function`'s admission (running or queued) for an async activation about to
    /// be stored, loading the version if needed.
    /// - Returns: the runtime that will serve it, or why there is no room (`too_many_requests`,
    ///   `not_found`).
    func reserve(function: String, version: Int?) async -> Result<VersionRuntime, SchedulerFailure> {
        let runtime: VersionRuntime
        do {
            runtime = try await self.runtime(for: function, version: version)
        } catch {
            return .failure(error)
        }
        return state.withLock { state in
            guard !state.shuttingDown else { return .failure(.unavailable("the gateway is shutting down")) }
            guard let entry = state.functions[function] else {
                return .failure(.notFound("\(function) was removed"))
            }
            guard state.functions[function]!.admission.reserve() else {
                return .failure(Self.full(function, entry))
            }
            return .success(runtime)
        }
    }

    /// The 429 of a function at its concurrency and queue limits.
    private static func full(_ function: String, _ entry: FunctionState) -> SchedulerFailure {
        SchedulerFailure(
            code: "too_many_requests",
            message: "\(function) is at its concurrency limit (\(entry.admission.concurrency)) "
                + "and its queue (\(entry.admission.queueLimit)) is full",
            retryAfterSeconds: entry.retryAfterSeconds)
    }

    /// Gives back a place held by ``reserve(function:version:)`` that will not be used.
    func unreserve(function: String) {
        state.withLock { state in state.functions[function]?.admission.unreserve() }
    }

    /// What arrives at admission.
    private struct Admittance: Sendable {
        var function: String
        var version: Int?
        var request: InvocationRequest
        var activation: String
        var reserved = false
        var storeResult = false
        var onStart: (@Sendable (Int) -> Void)? = nil
    }

    private func admitOrLoad(
        _ arriving: Admittance, arrival: ContinuousClock.Instant, completion: @escaping @Sendable (InvocationAnswer) -> Void
    ) {
        let admitted = admit(arriving, arrival: arrival) { runtime, ticket, waits in
            var onStart: (@Sendable () -> Void)?
            if let starting = arriving.onStart {
                let version = runtime.version
                onStart = { starting(version) }
            }
            return PendingInvocation(
                runtime: runtime, request: arriving.request, activation: arriving.activation, arrival: arrival,
                storeResult: arriving.storeResult, onStart: onStart, ticket: ticket, waited: waits,
                completion: completion)
        }
        switch admitted {
        case .notLoaded:
            // The first invocation of this version: read and parse its image off the caller's thread.
            io.async {
                do throws(SchedulerFailure) {
                    _ = try self.runtimeBlocking(for: arriving.function, version: arriving.version)
                } catch {
                    if arriving.reserved { self.unreserve(function: arriving.function) }
                    return completion(InvocationAnswer(activation: nil, start: nil, duration: .now - arrival, result: .failure(error)))
                }
                self.admitOrLoad(arriving, arrival: arrival, completion: completion)
            }
        case .refused(let failure):
            completion(
                InvocationAnswer(
                    activation: nil, start: nil, duration: .now - arrival, result: .failure(failure),
                    refusedAtAdmission: failure.code == "too_many_requests"))
        case .run(let invocation, let handle):
            dispatch((invocation, handle))
        case .queued:
            break
        }
    }

    private enum Admitted {
        /// Run now, on this compartment (nil: create one, a cold start).
        case run(PendingInvocation, CompartmentHandle?)
        /// In the function's queue; a finishing invocation or the deadline sweep takes it out.
        case queued(PendingInvocation)
        case refused(SchedulerFailure)
        /// The version is not in memory yet.
        case notLoaded
    }

    /// The admission decision for one arriving invocation, with the runtime lookup and the
    /// compartment checkout under one acquisition of the lock.
    private func admit(
        _ arriving: Admittance, arrival: ContinuousClock.Instant,
        _ makeInvocation: (VersionRuntime, _ ticket: UInt64, _ waits: Bool) -> PendingInvocation
    ) -> Admitted {
        let function = arriving.function
        var armSweep: ContinuousClock.Instant?
        let admitted: Admitted = state.withLock { state in
            guard !state.shuttingDown else {
                if arriving.reserved { state.functions[function]?.admission.unreserve() }
                return .refused(.unavailable("the gateway is shutting down"))
            }
            guard let entry = state.functions[function], let runtime = entry.runtimes[arriving.version ?? entry.current] else {
                return .notLoaded
            }
            let ticket = state.nextTicket
            state.nextTicket += 1
            let decision = entry.admission.arrive(ticket, reserved: arriving.reserved)
            if decision == .reject { return .refused(Self.full(function, entry)) }
            let waits = decision != .run
            let invocation = makeInvocation(runtime, ticket, waits)
            if state.sweepAt.map({ invocation.deadline < $0 }) ?? true {
                state.sweepAt = invocation.deadline
                armSweep = invocation.deadline
            }
            if waits {
                entry.waiters[ticket] = invocation
                return .queued(invocation)
            }
            state.runningInvocations += 1
            let handle = Self.checkout(&state, runtime)
            Self.expectAnswer(&state, invocation, handle: handle, started: arrival)
            return .run(invocation, handle)
        }
        if let armSweep { scheduleSweep(at: armSweep) }
        return admitted
    }

    /// Takes a sealed compartment of `runtime` for an admitted invocation, if the pool has one (lock held).
    static func checkout(_ state: inout State, _ runtime: VersionRuntime) -> CompartmentHandle? {
        guard let taken = runtime.pool.checkout() else { return nil }
        taken.isRunning = true
        state.runningHandles[taken.id] = taken
        return taken
    }

    /// Runs an admitted invocation on the current (worker) thread, records it and answers, unless
    /// the deadline sweep answered it first.
    private func run(_ invocation: PendingInvocation, on handle: CompartmentHandle?) {
        let runtime = invocation.runtime
        let queueWait = ContinuousClock.now - invocation.arrival
        if invocation.waited { metrics.queueWait(function: runtime.function, duration: queueWait) }
        if let onStart = invocation.onStart {
            // Under the lock, so that an attempt the sweep has answered never starts afterwards:
            // its runner would otherwise see it start after it finished.
            state.withLock { state in
                if state.answerDue[invocation.ticket] != nil { onStart() }
            }
        }
        let context = InvocationContext(activation: invocation.activation, deadline: invocation.deadline, log: invocation.log)
        let execution = execute(runtime, on: handle, request: invocation.request, context: context, ticket: invocation.ticket)
        guard !execution.answeredBySweep else { return }
        invocation.completion(
            finishRecord(
                runtime, activation: invocation.activation, arrival: invocation.arrival, queueWait: queueWait,
                execution: execution, failure: nil, storeResult: invocation.storeResult))
    }

    /// Notes that `invocation`, leaving admission for a worker, owes an answer by its deadline (lock held).
    static func expectAnswer(
        _ state: inout State, _ invocation: PendingInvocation, handle: CompartmentHandle?, started: ContinuousClock.Instant
    ) {
        state.answerDue[invocation.ticket] = RunningInvocation(
            invocation: invocation, started: started, start: handle == nil ? .cold : .warm)
    }

    // MARK: - Deadlines

    /// Sweeps for passed deadlines when `deadline` passes. One timer serves every queued and
    /// running invocation: a new one is armed only when an admitted invocation's deadline is
    /// earlier than the armed one (the older timer then finds itself superseded and does nothing).
    private func scheduleSweep(at deadline: ContinuousClock.Instant) {
        let delay = max(.zero, deadline - .now)
        io.asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: delay.nanoseconds))) { [weak self] in
            self?.sweepDeadlines(armedFor: deadline)
        }
    }

    /// Answers `timeout` to every invocation whose deadline has passed, and re-arms the sweep for
    /// the earliest deadline left.
    ///
    /// A queued one leaves its queue without running. A running one is answered while its guest
    /// goes on: WasmKit cannot interrupt a guest, so one that makes no hostcall runs until its fuel
    /// (about its timeout of CPU time) runs out, which on a loaded machine is long after the
    /// deadline. Its slot stays taken until the guest stops; its own outcome is then dropped.
    private func sweepDeadlines(armedFor armed: ContinuousClock.Instant) {
        let now = ContinuousClock.now
        var expired: [PendingInvocation] = []
        var overdue: [RunningInvocation] = []
        let next: ContinuousClock.Instant? = state.withLock { state in
            guard state.sweepAt == armed else { return nil }  // superseded by an earlier deadline
            guard armed <= now else { return armed }  // the timer fired a little early
            var earliest: ContinuousClock.Instant?
            for name in Array(state.functions.keys) {
                guard !(state.functions[name]?.waiters.isEmpty ?? true) else { continue }
                if let next = state.functions[name]!.expireWaiters(now: now, into: &expired),
                    earliest.map({ next < $0 }) ?? true
                {
                    earliest = next
                }
            }
            for (ticket, running) in state.answerDue {
                let deadline = running.invocation.deadline
                if deadline <= now {
                    overdue.append(running)
                    state.answerDue[ticket] = nil
                } else if earliest.map({ deadline < $0 }) ?? true {
                    earliest = deadline
                }
            }
            state.sweepAt = earliest
            return earliest
        }
        if let next { scheduleSweep(at: next) }
        for invocation in expired {
            let runtime = invocation.runtime
            metrics.queueWait(function: runtime.function, duration: now - invocation.arrival)
            answerWithoutRunning(
                invocation,
                .timeout("\(runtime.function) waited \(runtime.manifest.timeout) in the queue without a free compartment"))
        }
        for running in overdue { answerOverdue(running, now: now) }
    }

    /// Records and answers `timeout` for a running invocation past its deadline, with what its
    /// guest has logged so far.
    private func answerOverdue(_ running: RunningInvocation, now: ContinuousClock.Instant) {
        let invocation = running.invocation
        let runtime = invocation.runtime
        let failure = InvocationFailure(.timeout, "\(runtime.function) did not answer within its timeout of \(runtime.manifest.timeout)")
        let report = InvocationReport(logs: invocation.log.contents, runTime: now - running.started)
        let execution = Execution(
            outcome: .failure(failure, report), failure: nil,
            start: running.start, initTime: .zero)
        invocation.completion(
            finishRecord(
                runtime, activation: invocation.activation, arrival: invocation.arrival,
                queueWait: running.started - invocation.arrival, execution: execution, failure: nil,
                storeResult: invocation.storeResult))
    }

    /// Records and answers a queued invocation that leaves the queue without running.
    func answerWithoutRunning(_ invocation: PendingInvocation, _ failure: SchedulerFailure) {
        invocation.completion(
            finishRecord(
                invocation.runtime, activation: invocation.activation, arrival: invocation.arrival,
                queueWait: .now - invocation.arrival, execution: nil, failure: failure,
                storeResult: invocation.storeResult))
    }

    // MARK: - Slots

    /// Hands a freed slot to the next queued invocation, with a sealed compartment if its pool has
    /// one, or releases it (lock held). The caller submits the returned invocation once the lock
    /// is released. The sweep armed when it was queued covers its deadline.
    static func releaseSlot(_ state: inout State, function: String) -> (PendingInvocation, CompartmentHandle?)? {
        guard state.functions[function] != nil, let next = state.functions[function]!.admission.finish() else {
            state.runningInvocations -= 1
            return nil
        }
        guard let invocation = state.functions[function]!.waiters.removeValue(forKey: next) else {
            // Every queued ticket has its invocation; keep the count right if one ever does not.
            state.runningInvocations -= 1
            return nil
        }
        let handle = checkout(&state, invocation.runtime)
        expectAnswer(&state, invocation, handle: handle, started: .now)
        return (invocation, handle)
    }

    /// Runs the invocation a freed slot went to.
    func dispatch(_ next: (PendingInvocation, CompartmentHandle?)?) {
        guard let (invocation, handle) = next else { return }
        workers.submit(key: invocation.runtime.function) { self.run(invocation, on: handle) }
    }

    /// What happened on the worker thread.
    struct Execution: Sendable {
        var outcome: InvocationOutcome?
        var failure: SchedulerFailure?
        var start: StartKind
        var initTime: Duration
        /// Whether the deadline sweep answered the invocation while it ran: its outcome is dropped.
        var answeredBySweep = false
    }

    /// Runs one admitted invocation on the current (worker) thread on `handle` (checked out at
    /// admission), or on a new compartment when there was none (a cold start); then returns or
    /// destroys the compartment and frees the slot. `ticket` keys the answer the invocation owes
    /// (nil for a CAP-Call, which its caller answers for).
    func execute(
        _ runtime: VersionRuntime, on handle: CompartmentHandle?, request: InvocationRequest,
        context: InvocationContext, ticket: UInt64? = nil
    ) -> Execution {
        var start = StartKind.warm
        var initTime = Duration.zero
        var handle = handle
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
                let (answered, next) = state.withLock { state in
                    (Self.answerTaken(&state, ticket), Self.releaseSlot(&state, function: runtime.function))
                }
                dispatch(next)
                return Execution(
                    outcome: nil, failure: error, start: start, initTime: .now - began, answeredBySweep: answered)
            }
            initTime = .now - began
            metrics.coldStart(function: runtime.function, duration: initTime)
        }
        let compartment = handle!
        let outcome = compartment.compartment.invoke(request, context: context)
        let reusable = compartment.compartment.state == .sealed
        let memory = compartment.compartment.memoryBytes
        let (returned, answered, next) = state.withLock { state in
            compartment.isRunning = false
            compartment.invocations += 1
            state.runningHandles[compartment.id] = nil
            state.liveMemoryBytes += memory - compartment.memoryBytes
            compartment.memoryBytes = memory
            let returned = runtime.pool.checkin(compartment, reusable: reusable, now: clock.now())
            if case .success(_, let report) = outcome, state.functions[runtime.function] != nil {
                let average = state.functions[runtime.function]!.averageRun
                state.functions[runtime.function]!.averageRun = (average * 7 + report.runTime) / 8
            }
            return (returned, Self.answerTaken(&state, ticket), Self.releaseSlot(&state, function: runtime.function))
        }
        dispatch(next)
        if case .destroy(let dead) = returned {
            destroy([dead])
            refill(runtime)
        }
        return Execution(outcome: outcome, failure: nil, start: start, initTime: initTime, answeredBySweep: answered)
    }

    /// Whether the deadline sweep has already answered the invocation of `ticket`; otherwise the
    /// worker now owes its answer alone (lock held).
    private static func answerTaken(_ state: inout State, _ ticket: UInt64?) -> Bool {
        guard let ticket else { return false }
        return state.answerDue.removeValue(forKey: ticket) == nil
    }
}

/// Activation ids: 32 lowercase hex digits, unique within the process and unpredictable across
/// processes.
///
/// A random 64-bit prefix drawn once, then a counter scrambled by a keyed bijection (so no two
/// ids of one process collide): one atomic add per id instead of a `getrandom` call.
enum ActivationID {
    private static let seed: (prefix: UInt64, key: UInt64) = {
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }()
    private static let counter = Atomic<UInt64>(0)

    static func make() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return hex(seed.prefix, scramble(count ^ seed.key))
    }

    /// The splitmix64 finaliser: a bijection on 64-bit values.
    private static func scramble(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func hex(_ high: UInt64, _ low: UInt64) -> String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 32) { buffer in
            digits.withUTF8Buffer { digits in
                for index in 0..<16 {
                    buffer[index] = digits[Int((high >> UInt64(60 - 4 * index)) & 0xF)]
                    buffer[16 + index] = digits[Int((low >> UInt64(60 - 4 * index)) & 0xF)]
                }
            }
            return 32
        }
    }
}
