import Foundation
import Registry
import Sandbox
import SandboxTesting
import Scheduler
import Synchronization
import Testing

@Suite struct SchedulerTests {
    @Test func prewarmedCompartmentServesAWarmStart() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("hot", wat: Guests.ok, settings: ["warm: 2"])
        #expect(await harness.eventually { harness.scheduler.pool(function: "hot").sealed == 2 })
        let answer = await harness.invoke("hot")
        #expect(answer.start == .warm)
        #expect(try answer.result.get().body == Array("ok".utf8))
        #expect(answer.activation?.count == 32)
        await harness.close()
    }

    @Test func warmZeroStartsColdAndCompartmentsStayForKeepAlive() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("lazy", wat: Guests.ok, settings: ["warm: 0", "keep_alive: 10s"])
        #expect(harness.scheduler.compartments().isEmpty)
        let first = await harness.invoke("lazy")
        #expect(first.start == .cold)
        #expect(try first.result.get().status == 200)
        // The compartment lives on for keep_alive: the next call is warm.
        let second = await harness.invoke("lazy")
        #expect(second.start == .warm)
        #expect(harness.scheduler.compartments().count == 1)
        // Past keep_alive the reaper scales the function to zero.
        harness.clock.advance(by: .seconds(9))
        harness.scheduler.reap()
        #expect(harness.scheduler.compartments().count == 1)
        harness.clock.advance(by: .seconds(2))
        harness.scheduler.reap()
        #expect(harness.scheduler.compartments().isEmpty)
        #expect(await harness.invoke("lazy").start == .cold)
        await harness.close()
    }

    @Test func keepAliveZeroMakesEveryCallCold() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("fresh", wat: Guests.ok, settings: ["warm: 0", "keep_alive: 0s"])
        for _ in 0..<3 {
            #expect(await harness.invoke("fresh").start == .cold)
        }
        #expect(harness.scheduler.compartments().isEmpty)
        await harness.close()
    }

    @Test func stateResetForgetsAndStateKeepRemembers() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("reset", wat: Guests.counter, settings: ["warm: 1", "concurrency: 1"])
        try await harness.deploy("keep", wat: Guests.counter, settings: ["warm: 1", "concurrency: 1", "state: keep"])
        var reset: [String] = []
        var kept: [String] = []
        for _ in 0..<3 {
            reset.append(String(decoding: try await harness.invoke("reset").result.get().body, as: UTF8.self))
            kept.append(String(decoding: try await harness.invoke("keep").result.get().body, as: UTF8.self))
        }
        #expect(reset == ["1", "1", "1"])
        #expect(kept == ["1", "2", "3"])
        await harness.close()
    }

    @Test func concurrencyCapHolds() async throws {
        let harness = try SchedulerHarness(configuration: .init(workerThreads: 4))
        try await harness.deploy(
            "busy", wat: Guests.busy(milliseconds: 30),
            settings: ["warm: 0", "concurrency: 2", "queue: 20", "capabilities: { clock: true }"])
        // Sampled from a thread of its own, so that a busy cooperative pool cannot starve the sampler.
        let peak = Mutex(0)
        let stop = Atomic(false)
        let sampler = Thread {
            while !stop.load(ordering: .relaxed) {
                let running = harness.scheduler.pool(function: "busy").running
                peak.withLock { $0 = max($0, running) }
                usleep(500)
            }
        }
        sampler.start()
        let answers = await withTaskGroup(of: InvocationAnswer.self) { group in
            for _ in 0..<8 { group.addTask { await harness.invoke("busy") } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        stop.store(true, ordering: .relaxed)
        #expect(answers.allSatisfy { (try? $0.result.get().body) == Array("done".utf8) })
        #expect(peak.withLock { $0 } <= 2)
        #expect(peak.withLock { $0 } >= 1)
        // Never more than two compartments existed: the rest waited for them.
        #expect(harness.scheduler.compartments().count <= 2)
        await harness.close()
    }

    @Test func queueOverflowIsRejectedWithRetryAfter() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy(
            "narrow", wat: Guests.spin, settings: ["warm: 1", "concurrency: 1", "queue: 1", "timeout: 1s"])
        #expect(await harness.eventually { harness.scheduler.pool(function: "narrow").sealed == 1 })
        let running = Task { await harness.invoke("narrow") }
        #expect(await harness.eventually { harness.scheduler.pool(function: "narrow").running == 1 })
        let queued = Task { await harness.invoke("narrow") }
        #expect(await harness.eventually { harness.scheduler.pool(function: "narrow").queued == 1 })
        let rejected = await harness.invoke("narrow")
        guard case .failure(let failure) = rejected.result else {
            Issue.record("the third invocation was not rejected")
            return
        }
        #expect(failure.code == "too_many_requests")
        #expect((failure.retryAfterSeconds ?? 0) >= 1)
        #expect(rejected.activation == nil)
        // The spinning guests end at their timeout and their compartments are destroyed.
        for task in [running, queued] {
            guard case .failure(let timedOut) = await task.value.result else {
                Issue.record("a spinning guest did not time out")
                continue
            }
            #expect(timedOut.code == "timeout")
        }
        await harness.close()
    }

    @Test func aGuestRunningPastItsDeadlineIsAnsweredWhileItRunsAndItsSlotStaysTaken() async throws {
        // Fuel for four times the timeout: the loop makes no hostcall, so only its fuel stops it,
        // as on a machine so loaded that the guest gets a quarter of a core. The answer must come
        // at the deadline, while the guest still runs (an ordering, not a wall-clock bound).
        let generous = Intravisor(
            configuration: IntravisorConfiguration(fuelPerSecond: SchedulerHarness.intravisor.fuelPerSecond * 4))
        let harness = try SchedulerHarness(intravisor: generous)
        try await harness.deploy("runaway", wat: Guests.logThenSpin, settings: ["warm: 0", "concurrency: 1", "timeout: 200ms"])
        let answer = await harness.invoke("runaway")
        let stillRunning = harness.scheduler.pool(function: "runaway").running
        #expect(errorCode(answer) == "timeout")
        #expect(answer.start == .cold)
        // The slot stays taken until the guest stops, so `concurrency` still bounds running guests.
        #expect(stillRunning == 1, "the guest stopped before its answer; it was not answered at the deadline")
        let activation = try #require(answer.activation)
        harness.registry.activations.flush()
        let record = try #require(try harness.registry.activations.get(id: activation))
        #expect(record.status == .failed)
        #expect(record.error == "timeout")
        #expect(record.runUs >= 200_000)
        // What the guest logged before it ran away is kept, though its own report never came.
        #expect(record.logs == "started\n")
        // The guest ends at its fuel: its compartment is destroyed, the slot frees, and its own
        // outcome (out of fuel) does not replace the answered record.
        #expect(await harness.eventually(attempts: 6000) { harness.scheduler.pool(function: "runaway").running == 0 })
        #expect(await harness.eventually { harness.scheduler.compartments().isEmpty })
        harness.registry.activations.flush()
        let kept = try #require(try harness.registry.activations.get(id: activation))
        #expect(kept.message == record.message)
        #expect(kept.runUs == record.runUs)
        await harness.close()
    }

    @Test func aQueuedInvocationWhoseDeadlinePassesFailsWithoutRunning() async throws {
        let harness = try OutboundGuestTests.harness()
        let holder = try await SlotHolder(holding: "slow", harness)
        // Version 2 allows 100 ms: a call queued behind the slot runs out of time while waiting.
        try await harness.deploy("slow", wat: Guests.ok, settings: ["warm: 0", "concurrency: 1", "timeout: 100ms"])
        let waited = await harness.invoke("slow")
        guard case .failure(let failure) = waited.result else {
            Issue.record("the queued invocation ran")
            return
        }
        #expect(failure.code == "timeout")
        #expect(waited.start == nil)
        let activation = try #require(waited.activation)
        harness.registry.activations.flush()
        let record = try #require(try harness.registry.activations.get(id: activation))
        #expect(record.error == "timeout")
        #expect(record.runUs == 0)
        #expect(record.queueUs >= 100_000)
        _ = await holder.release()
        await harness.close()
    }

    @Test func queuedInvocationsEachTimeOutAtTheirOwnDeadline() async throws {
        let harness = try OutboundGuestTests.harness()
        let holder = try await SlotHolder(holding: "held", harness)
        // Two calls queue 300 ms apart under a 400 ms timeout: one sweep of the queue must not
        // take the second call early, and the re-armed sweep must not miss it.
        try await harness.deploy("held", wat: Guests.ok, settings: ["warm: 0", "concurrency: 1", "timeout: 400ms"])
        let first = Task { await harness.invoke("held") }
        try await Task.sleep(for: .milliseconds(300))
        let second = Task { await harness.invoke("held") }
        for answer in [await first.value, await second.value] {
            #expect(errorCode(answer) == "timeout")
            #expect(answer.start == nil)
            let activation = try #require(answer.activation)
            harness.registry.activations.flush()
            let record = try #require(try harness.registry.activations.get(id: activation))
            #expect(record.queueUs >= 400_000)
        }
        _ = await holder.release()
        await harness.close()
    }

    @Test func queuedInvocationsOfARemovedFunctionHearNotFoundAtOnce() async throws {
        let harness = try OutboundGuestTests.harness()
        // The holder runs until the test releases it: the queued call must hear 404 while it still
        // runs, not when the slot frees.
        let holder = try await SlotHolder(holding: "gone", harness)
        let queued = Task { await harness.invoke("gone") }
        #expect(await harness.eventually { harness.scheduler.pool(function: "gone").queued == 1 })
        let holderFinished = Counter()
        Task {
            _ = await holder.answer.value
            holderFinished.add()
        }
        try await harness.scheduler.remove(function: "gone")
        let answer = await queued.value
        #expect(holderFinished.value == 0, "the queued invocation was held until the running one finished")
        #expect(errorCode(answer) == "not_found")
        _ = await holder.release()
        await harness.close()
    }

    @Test func aNewVersionDrainsTheOldPool() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("versioned", wat: Guests.ok, settings: ["warm: 2"])
        #expect(await harness.eventually { harness.scheduler.pool(function: "versioned").sealed == 2 })
        try await harness.deploy("versioned", wat: Guests.counter, settings: ["warm: 1"])
        #expect(await harness.eventually {
            let live = harness.scheduler.compartments()
            return live.count == 1 && live.allSatisfy { $0.version == 2 }
        })
        #expect(try await harness.invoke("versioned").result.get().body == Array("1".utf8))
        // The old version can still be pinned; it runs cold, not from the drained pool.
        let pinned = await harness.invoke("versioned", version: 1)
        #expect(try pinned.result.get().body == Array("ok".utf8))
        #expect(pinned.start == .cold)
        await harness.close()
    }

    @Test func theGlobalBudgetEvictsTheLeastRecentlyUsedIdleCompartment() async throws {
        let harness = try SchedulerHarness(configuration: .init(workerThreads: 2, maxCompartments: 2))
        try await harness.deploy("first", wat: Guests.ok, settings: ["warm: 1"])
        #expect(await harness.eventually { harness.scheduler.pool(function: "first").sealed == 1 })
        harness.clock.advance(by: .seconds(1))
        try await harness.deploy("second", wat: Guests.ok, settings: ["warm: 1"])
        #expect(await harness.eventually { harness.scheduler.pool(function: "second").sealed == 1 })
        harness.clock.advance(by: .seconds(1))
        try await harness.deploy("third", wat: Guests.ok, settings: ["warm: 0"])
        let answer = await harness.invoke("third")
        #expect(answer.start == .cold)
        #expect(try answer.result.get().status == 200)
        let live = harness.scheduler.compartments()
        #expect(live.count == 2)
        #expect(!live.contains { $0.function == "first" })
        await harness.close()
    }

    @Test func aFaultingFunctionDoesNotDisturbAnother() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("broken", wat: Guests.fault, settings: ["warm: 1", "concurrency: 4"])
        try await harness.deploy("healthy", wat: Guests.ok, settings: ["warm: 1", "concurrency: 4"])
        let results = await withTaskGroup(of: (String, InvocationAnswer).self) { group in
            for index in 0..<40 {
                let name = index.isMultiple(of: 2) ? "broken" : "healthy"
                group.addTask { (name, await harness.invoke(name)) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (name, answer) in results {
            switch (name, answer.result) {
            case ("healthy", .success(let response)):
                #expect(response.body == Array("ok".utf8))
            case ("broken", .failure(let failure)):
                #expect(failure.code == "capability_fault")
                #expect(failure.fault == .bounds)
            default:
                Issue.record("\(name) answered \(answer.result)")
            }
        }
        // Faulted compartments were destroyed, never reused: every one served at most one call.
        #expect(harness.scheduler.compartments().filter { $0.function == "broken" }.allSatisfy { $0.invocations == 0 })
        #expect(harness.scheduler.prometheusText().contains("faas_capability_faults_total{kind=\"bounds\"} 20"))
        await harness.close()
    }

    @Test func unknownFunctionsAreNotFound() async throws {
        let harness = try SchedulerHarness()
        let answer = await harness.invoke("missing")
        guard case .failure(let failure) = answer.result else {
            Issue.record("an unknown function answered")
            return
        }
        #expect(failure.code == "not_found")
        await harness.close()
    }

    @Test func metricsUseTheContractNames() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("measured", wat: Guests.ok, settings: ["warm: 0"])
        _ = await harness.invoke("measured")
        let text = harness.scheduler.prometheusText()
        for name in [
            "faas_invocations_total{function=\"measured\",status=\"success\",start=\"cold\"} 1",
            "faas_invocation_duration_seconds_bucket{function=\"measured\",start=\"cold\"",
            "faas_cold_start_seconds_count{function=\"measured\"} 1",
            "faas_compartments{function=\"measured\",state=\"sealed\"}",
            "faas_deploys_total{result=\"success\"} 1",
        ] {
            #expect(text.contains(name), "missing \(name) in\n\(text)")
        }
        await harness.close()
    }
}

extension SchedulerTests {
    @Test func recycledInstancesAndTheirMemoryAreGauged() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("lazy", wat: Guests.ok, settings: ["warm: 0", "keep_alive: 10s"])
        func gauges() -> (instances: Bool, bytes: Bool, text: String) {
            let text = harness.scheduler.prometheusText()
            return (text.contains("\nfaas_recycled_instances 1.0\n"), text.contains("\nfaas_recycled_instance_bytes 65536.0\n"), text)
        }
        #expect(harness.scheduler.prometheusText().contains("\nfaas_recycled_instances 0.0\n"))
        #expect(await harness.invoke("lazy").start == .cold)
        // Past keep_alive the compartment goes; its instance (one 64 KiB page) waits on the shelf.
        harness.clock.advance(by: .seconds(11))
        harness.scheduler.reap()
        #expect(await harness.eventually { harness.scheduler.compartments().isEmpty })
        let shelved = gauges()
        #expect(shelved.instances && shelved.bytes, "\(shelved.text)")
        // The next cold start takes it off the shelf.
        #expect(await harness.invoke("lazy").start == .cold)
        let text = harness.scheduler.prometheusText()
        #expect(text.contains("\nfaas_recycled_instances 0.0\n") && text.contains("\nfaas_recycled_instance_bytes 0.0\n"), "\(text)")
        await harness.close()
    }
}

/// The SPEC error code of a failed answer, or nil.
private func errorCode(_ answer: InvocationAnswer) -> String? {
    if case .failure(let failure) = answer.result { return failure.code }
    return nil
}

/// A call that holds the only slot of `name` until the test releases it: the guest waits on a
/// ``Gate`` (no core burnt, no timeout to race), so a deploy made meanwhile, however slow on a
/// loaded machine, ends while the slot is still taken.
private struct SlotHolder {
    let gate: Gate
    let answer: Task<InvocationAnswer, Never>

    init(holding name: String, _ harness: SchedulerHarness) async throws {
        let gate = try Gate()
        try await harness.deployHeld(name, on: gate, settings: ["warm: 0", "concurrency: 1", "timeout: 60s"])
        self.gate = gate
        answer = Task { await harness.invoke(name) }
        #expect(await harness.eventually { gate.arrivals == 1 }, "the holder never reached its gate")
    }

    /// Opens the gate and waits for the holder's answer.
    func release() async -> InvocationAnswer {
        gate.open()
        return await answer.value
    }
}
