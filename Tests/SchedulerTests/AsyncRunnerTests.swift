import Foundation
import Registry
import Sandbox
import SandboxTesting
import Scheduler
import Testing

/// The durable async runner over a real registry: acceptance, retries, dead letter, idempotency,
/// admission and schedules, with real guests.
@Suite struct AsyncRunnerTests {
    static let fast = AsyncConfiguration(retry: RetryPolicy(base: 0.05, cap: 0.2, jitter: 0))

    static func start(_ harness: SchedulerHarness, _ configuration: AsyncConfiguration = fast) async -> AsyncRunner {
        let runner = AsyncRunner(scheduler: harness.scheduler, configuration: configuration, logger: harness.logger)
        await runner.start()
        return runner
    }

    static func accepted(_ acceptance: AsyncRunner.Acceptance) -> String? {
        if case .accepted(let id) = acceptance { return id }
        return nil
    }

    static func request(_ body: String = "") -> InvocationRequest {
        InvocationRequest(method: "POST", path: "/p", query: "q=1", headers: [HTTPField(name: "X-A", value: "b")], body: Array(body.utf8))
    }

    func record(
        _ harness: SchedulerHarness, _ id: String, is status: ActivationStatus, attempts: Int = 500
    ) async -> ActivationRecord? {
        var found: ActivationRecord?
        _ = await harness.eventually(attempts: attempts) {
            found = try? harness.registry.activations.get(id: id)
            return found?.status == status
        }
        return found?.status == status ? found : nil
    }

    @Test func anAcceptedActivationRunsAndKeepsItsResult() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("later", wat: Guests.ok, settings: ["warm: 0"])
        let runner = await Self.start(harness)
        let id = try #require(Self.accepted(await runner.accept(function: "later", version: nil, request: Self.request(), idempotencyKey: nil)))
        // Stored before the answer: the record exists at once.
        #expect(try harness.registry.activations.get(id: id) != nil)
        let record = try #require(await record(harness, id, is: .succeeded))
        #expect(record.result?.status == 200 && record.result?.body == Array("ok".utf8))
        #expect(record.attempts == 1 && record.trigger == .async && record.start == "cold" && record.isAsync)
        #expect(try await harness.registry.queue.job(id: id) == nil, "a succeeded activation leaves the queue")
        runner.stop()
        await harness.close()
    }

    @Test func failuresAreRetriedThenDeadThenRetriedByAPI() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("bad", wat: Guests.fault, settings: ["warm: 0", "retries: 2"])
        let runner = await Self.start(harness)
        let began = Date()
        let id = try #require(Self.accepted(await runner.accept(function: "bad", version: nil, request: Self.request(), idempotencyKey: nil)))
        let dead = try #require(await record(harness, id, is: .dead))
        // Backoff 0.05 s then 0.1 s between the three attempts.
        #expect(Date().timeIntervalSince(began) >= 0.15)
        #expect(dead.attempts == 3 && dead.history.map(\.attempt) == [1, 2, 3])
        #expect(dead.history.allSatisfy { $0.error == "capability_fault" })
        #expect(dead.error == "capability_fault")
        // The counters follow the stored transition.
        #expect(await harness.eventually {
            let metrics = harness.scheduler.prometheusText()
            return metrics.contains("faas_async_retries_total{function=\"bad\"} 2")
                && metrics.contains("faas_async_dead_total{function=\"bad\"} 1")
        })

        #expect(try await runner.retry(id: id) == .queued)
        let again = try #require(await record(harness, id, is: .dead))
        #expect(again.attempts == 6 && again.trigger == .retry)
        #expect(try await runner.retry(id: "nope") == .notFound)
        runner.stop()
        await harness.close()
    }

    @Test func anAttemptPastItsDeadlineFailsAtTheDeadlineAndItsGuestsLateEndChangesNothing() async throws {
        // Fuel for four times the timeout, as on a machine where the guest gets a quarter of a
        // core: the sweep answers each attempt at its deadline while its guest still runs.
        let generous = Intravisor(
            configuration: IntravisorConfiguration(fuelPerSecond: SchedulerHarness.intravisor.fuelPerSecond * 4))
        let harness = try SchedulerHarness(intravisor: generous)
        try await harness.deploy(
            "runaway", wat: Guests.logThenSpin, settings: ["warm: 0", "concurrency: 1", "timeout: 200ms", "retries: 1"])
        let runner = await Self.start(harness)
        let id = try #require(Self.accepted(await runner.accept(function: "runaway", version: nil, request: Self.request(), idempotencyKey: nil)))
        let dead = try #require(await record(harness, id, is: .dead, attempts: 3000))
        #expect(dead.attempts == 2 && dead.history.map(\.attempt) == [1, 2])
        #expect(dead.history.allSatisfy { $0.error == "timeout" })
        // The first attempt keeps what its guest logged before the deadline answered for it. (The
        // second may have timed out in the queue, behind the first's guest, and logged nothing.)
        #expect(dead.history.first?.logs == "started\n", "\(dead.history.map(\.logs))")
        // Each answered guest runs on to the end of its fuel; when the last has stopped, the
        // activation is as it was: no third attempt, no outcome from a late guest.
        #expect(await harness.eventually(attempts: 6000) { harness.scheduler.pool(function: "runaway").running == 0 })
        #expect(await harness.eventually { harness.scheduler.compartments().isEmpty })
        let after = try #require(try harness.registry.activations.get(id: id))
        #expect(after.status == .dead && after.attempts == 2 && after.history.count == 2)
        runner.stop()
        await harness.close()
    }

    @Test func aSucceededActivationCannotBeRetried() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("fine", wat: Guests.ok)
        let runner = await Self.start(harness)
        let id = try #require(Self.accepted(await runner.accept(function: "fine", version: nil, request: Self.request(), idempotencyKey: nil)))
        _ = await record(harness, id, is: .succeeded)
        guard case .notDead = try await runner.retry(id: id) else { Issue.record("retried a succeeded activation"); return }
        runner.stop()
        await harness.close()
    }

    @Test func aRepeatedIdempotencyKeyAnswersTheFirstActivation() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("once", wat: Guests.ok)
        let runner = await Self.start(harness)
        let first = Self.accepted(await runner.accept(function: "once", version: nil, request: Self.request(), idempotencyKey: "k-1"))
        let second = Self.accepted(await runner.accept(function: "once", version: nil, request: Self.request(), idempotencyKey: "k-1"))
        let third = Self.accepted(await runner.accept(function: "once", version: nil, request: Self.request(), idempotencyKey: "k-2"))
        #expect(first != nil && first == second && third != first)
        _ = await record(harness, try #require(third), is: .succeeded)
        #expect(try harness.registry.activations.list(function: "once", limit: 10).count == 2)
        #expect(harness.scheduler.pool(function: "once").queued == 0)
        runner.stop()
        await harness.close()
    }

    @Test func aFullQueueAtAcceptanceIs429AndStoresNothing() async throws {
        let harness = try OutboundGuestTests.harness()
        // The first call waits on a gate the test opens once all four are accepted or refused, so
        // its slot is surely still taken at the fourth accept, however loaded the machine.
        let gate = try Gate()
        try await harness.deployHeld("narrow", on: gate, settings: ["concurrency: 1", "queue: 1", "timeout: 60s"])
        let runner = await Self.start(harness)
        var answers: [AsyncRunner.Acceptance] = []
        for _ in 0..<4 {
            answers.append(await runner.accept(function: "narrow", version: nil, request: Self.request(), idempotencyKey: nil))
        }
        let ids = answers.compactMap(Self.accepted)
        #expect(ids.count == 2, "one runs, one waits")
        for answer in answers {
            if case .refused(let failure) = answer { #expect(failure.code == "too_many_requests") }
        }
        #expect(try harness.registry.activations.list(function: "narrow", limit: 10).count == 2)
        gate.open()
        for id in ids { #expect(await record(harness, id, is: .succeeded, attempts: 4000) != nil) }
        if case .refused(let failure) = await runner.accept(function: "ghost", version: nil, request: Self.request(), idempotencyKey: nil) {
            #expect(failure.code == "not_found")
        } else {
            Issue.record("an unknown function was accepted")
        }
        runner.stop()
        await harness.close()
    }

    @Test func aScheduleTicksUntilItsFunctionIsRemoved() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("tick", wat: Guests.ok, settings: ["schedule: \"@every 1s\""])
        let runner = await Self.start(harness)
        #expect(await harness.eventually {
            ((try? harness.registry.activations.list(function: "tick", status: .succeeded, limit: 10)) ?? []).count >= 2
        })
        let records = try harness.registry.activations.list(function: "tick", limit: 10)
        #expect(records.allSatisfy { $0.trigger == .schedule && $0.isAsync })
        try await harness.scheduler.remove(function: "tick")
        await runner.schedulesChanged()
        try await Task.sleep(for: .milliseconds(300))
        let settled = try harness.registry.activations.list(function: "tick", limit: 100).count
        try await Task.sleep(for: .milliseconds(2200))
        #expect(try harness.registry.activations.list(function: "tick", limit: 100).count == settled, "no tick after removal")
        runner.stop()
        await harness.close()
    }

    @Test func aTickIsAnEmptyPOSTWithTheTriggerHeader() async throws {
        let harness = try SchedulerHarness()
        // It fails, so its dead activation keeps the request it was given.
        try await harness.deploy("broken", wat: Guests.fault, settings: ["schedule: \"@every 1s\"", "retries: 0"])
        let runner = await Self.start(harness)
        var dead: [ActivationRecord] = []
        #expect(await harness.eventually {
            dead = (try? harness.registry.activations.list(function: "broken", status: .dead, limit: 10)) ?? []
            return !dead.isEmpty
        })
        let id = try #require(dead.first?.id)
        let job = try #require(try await harness.registry.queue.job(id: id))
        #expect(job.trigger == .schedule && job.version == nil)
        let request = try #require(job.request)
        #expect(request.method == "POST" && request.body.isEmpty && request.path.isEmpty)
        #expect(request.headers == [HTTPField(name: "X-Faas-Trigger", value: "schedule")])
        runner.stop()
        await harness.close()
    }

    @Test func ticksMissedWhileNothingRanAreNotMadeUp() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("tick", wat: Guests.ok, settings: ["schedule: \"@every 1s\""])
        let first = await Self.start(harness)
        #expect(await harness.eventually {
            ((try? harness.registry.activations.list(function: "tick", limit: 100)) ?? []).count >= 1
        })
        first.stop()
        try await Task.sleep(for: .milliseconds(300))
        let before = try harness.registry.activations.list(function: "tick", limit: 100).count
        try await Task.sleep(for: .seconds(4))  // four ticks fall while no runner runs
        let second = await Self.start(harness)
        try await Task.sleep(for: .milliseconds(1500))
        let after = try harness.registry.activations.list(function: "tick", limit: 100).count
        // At most the ticks of the 1.5 s since the restart (one or two), none of the four missed.
        #expect(after - before <= 2, "\(after - before) ticks after the restart")
        #expect(after - before >= 1, "the schedule ticks again after the restart")
        second.stop()
        await harness.close()
    }

    @Test func theRequestReachesEveryAttemptUnchanged() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("echo", wat: GuestFixtures.ivEcho)
        let runner = await Self.start(harness)
        let id = try #require(Self.accepted(await runner.accept(function: "echo", version: nil, request: Self.request("hello body"), idempotencyKey: nil)))
        let record = try #require(await record(harness, id, is: .succeeded))
        #expect(record.result?.body == Array("hello body".utf8))
        runner.stop()
        await harness.close()
    }
}
