import Foundation
import Testing

@testable import Scheduler

@Suite struct AdaptiveLockTests {
    /// Threads that read, yield and write back under the lock lose no update: a lock that let two
    /// of them in at once would drop increments.
    @Test func updatesFromManyThreadsAreNotLost() {
        let lock = AdaptiveLock((count: 0, inside: 0, overlaps: 0))
        let threads = 4
        let rounds = 20_000
        let done = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            Thread {
                for _ in 0..<rounds {
                    lock.withLock { state in
                        state.inside += 1
                        if state.inside > 1 { state.overlaps += 1 }
                        let read = state.count
                        if read % 1000 == 0 { sched_yield() }  // give another thread the chance to barge in
                        state.count = read + 1
                        state.inside -= 1
                    }
                }
                done.signal()
            }.start()
        }
        for _ in 0..<threads { done.wait() }
        let final = lock.withLock { $0 }
        #expect(final.count == threads * rounds)
        #expect(final.overlaps == 0)
    }

    @Test func errorsThrownInsideReleaseTheLock() {
        struct Refused: Error {}
        let lock = AdaptiveLock(0)
        #expect(throws: Refused.self) {
            try lock.withLock { (value: inout Int) throws(Refused) in
                value = 1
                throw Refused()
            }
        }
        // Taken again at once: the throw unlocked it (a leaked lock would hang here).
        #expect(lock.withLock { $0 } == 1)
    }
}
