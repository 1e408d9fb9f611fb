import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Synchronization
import Testing

@testable import Scheduler

@Suite struct WorkerPoolTests {
    @Test func runsJobsOnItsOwnThreads() async {
        let pool = WorkerPool(size: 2, name: "test-worker")
        let onWorker = await pool.run(key: "a") { pool.isCurrentThreadWorker }
        #expect(onWorker)
        #expect(!pool.isCurrentThreadWorker)
        pool.shutdown()
    }

    @Test func aFloodFromOneKeyDoesNotStarveAnother() async {
        // One thread, so the order in which it takes jobs is the whole story.
        let pool = WorkerPool(size: 1, name: "fair")
        let gate = DispatchSemaphore(value: 0)
        let order = Mutex<[String]>([])
        pool.submit(key: "blocker") { gate.wait() }
        for index in 0..<50 {
            pool.submit(key: "storm") { order.withLock { $0.append("storm-\(index)") } }
        }
        let done = DispatchSemaphore(value: 0)
        pool.submit(key: "quiet") {
            order.withLock { $0.append("quiet") }
            done.signal()
        }
        gate.signal()
        done.wait()
        let position = order.withLock { $0.firstIndex(of: "quiet") } ?? .max
        // Round-robin: the quiet function runs after at most one job of the storm.
        #expect(position <= 1)
        pool.shutdown()
    }

    @Test func shutdownFinishesQueuedJobs() {
        let pool = WorkerPool(size: 2)
        let count = Mutex(0)
        for _ in 0..<100 { pool.submit(key: "k") { count.withLock { $0 += 1 } } }
        pool.shutdown()
        #expect(count.withLock { $0 } == 100)
    }
}

extension WorkerPoolTests {
    /// The only thread waits inside `blocking` with its slot given back; a job submitted only then
    /// (not queued when the slot was freed) must get a thread of its own, not wait for the wait.
    @Test func aJobSubmittedWhileEveryThreadWaitsGetsAThread() {
        let pool = WorkerPool(size: 1, name: "handoff")
        let waiting = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let released = Mutex<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        pool.submit(key: "waiter") {
            pool.blocking {
                waiting.signal()
                // Only the second job ends this wait; give up after a while rather than hang the suite.
                let result = release.wait(timeout: .now() + 20)
                released.withLock { $0 = result == .success }
            }
            done.signal()
        }
        waiting.wait()
        pool.submit(key: "releaser") { release.signal() }
        done.wait()
        #expect(released.withLock { $0 } == true)
        #expect(pool.threadCount == 2)
        pool.shutdown()
    }
}

extension WorkerPoolTests {
    /// A pinned thread runs its jobs on its CPU alone; a thread started for a guest's wait is not
    /// pinned and keeps every CPU of the process.
    @Test func pinnedThreadsRunOnTheirCPUAndExtraThreadsAreNotPinned() throws {
        let allowed = CPUAffinity.allowed()
        let cpu = try #require(allowed.last, "the affinity mask could not be read")
        let pool = WorkerPool(size: 1, name: "pinned", pinnedCPUs: [cpu])
        #expect(pool.pinnedCPUs == [cpu])
        let seen = Mutex<[String: [Int]]>([:])
        let waiting = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        pool.submit(key: "waiter") {
            seen.withLock { $0["pinned"] = CPUAffinity.allowed() }
            pool.blocking {
                waiting.signal()
                _ = release.wait(timeout: .now() + 20)
            }
            done.signal()
        }
        waiting.wait()
        // The pinned thread waits with its slot given back, so this job gets a thread started for it.
        pool.submit(key: "extra") {
            seen.withLock { $0["extra"] = CPUAffinity.allowed() }
            release.signal()
        }
        done.wait()
        #expect(seen.withLock { $0["pinned"] } == [cpu])
        #expect(seen.withLock { $0["extra"] } == allowed)
        #expect(pool.threadCount == 2)
        pool.shutdown()
    }

    /// Workers are pinned one to a CPU only when asked to and there are CPUs enough; the default
    /// and an oversubscribed pool leave every thread on every CPU.
    @Test func aSchedulerPinsItsWorkersOnlyWhenEachHasACPUAndItIsAskedTo() async throws {
        let allowed = CPUAffinity.allowed()
        #expect(!allowed.isEmpty)
        #expect(CPUAffinity.forWorkers(allowed.count) == allowed)
        #expect(CPUAffinity.forWorkers(1) == [allowed[0]])
        #expect(CPUAffinity.forWorkers(allowed.count + 1).isEmpty)

        let pinned = try SchedulerHarness(configuration: .init(workerThreads: 1, pinWorkers: true))
        #expect(pinned.scheduler.workers.pinnedCPUs == [allowed[0]])
        let inside = await pinned.scheduler.workers.run(key: "k") { CPUAffinity.allowed() }
        #expect(inside == [allowed[0]])
        await pinned.close()

        for configuration in [SchedulerConfiguration(workerThreads: 1), .init(workerThreads: allowed.count + 1, pinWorkers: true)] {
            let free = try SchedulerHarness(configuration: configuration)
            #expect(free.scheduler.workers.pinnedCPUs.isEmpty)
            let mask = await free.scheduler.workers.run(key: "k") { CPUAffinity.allowed() }
            #expect(mask == allowed)
            await free.close()
        }
    }
}
