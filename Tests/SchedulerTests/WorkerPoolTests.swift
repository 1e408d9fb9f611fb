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
