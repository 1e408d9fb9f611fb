import Testing

@testable import Scheduler

@Suite struct AdmissionTests {
    @Test func runsUpToConcurrencyThenQueuesThenRejects() {
        var admission = Admission(concurrency: 2, queue: 2)
        #expect(admission.arrive(1) == .run)
        #expect(admission.arrive(2) == .run)
        #expect(admission.arrive(3) == .wait(position: 0))
        #expect(admission.arrive(4) == .wait(position: 1))
        #expect(admission.arrive(5) == .reject)
        #expect(admission.running == 2)
        #expect(admission.queued == 2)
    }

    @Test func finishHandsTheSlotToTheOldestWaiter() {
        var admission = Admission(concurrency: 1, queue: 3)
        _ = admission.arrive(1)
        _ = admission.arrive(2)
        _ = admission.arrive(3)
        #expect(admission.finish() == 2)
        #expect(admission.running == 1)
        #expect(admission.finish() == 3)
        #expect(admission.finish() == nil)
        #expect(admission.running == 0)
    }

    @Test func arrivalsDoNotOvertakeTheQueue() {
        var admission = Admission(concurrency: 1, queue: 4)
        _ = admission.arrive(1)
        _ = admission.arrive(2)
        // A slot frees and is handed to ticket 2, so a newcomer must still wait.
        #expect(admission.finish() == 2)
        #expect(admission.arrive(3) == .wait(position: 0))
    }

    @Test func cancelledWaitersAreSkipped() {
        var admission = Admission(concurrency: 1, queue: 4)
        _ = admission.arrive(1)
        _ = admission.arrive(2)
        _ = admission.arrive(3)
        #expect(admission.cancel(2))
        #expect(!admission.cancel(2))
        #expect(admission.finish() == 3)
        #expect(admission.finish() == nil)
    }

    @Test func tryAcquireNeverQueues() {
        var admission = Admission(concurrency: 1, queue: 4)
        #expect(admission.tryAcquire())
        #expect(!admission.tryAcquire())
        #expect(admission.queued == 0)
    }

    @Test func raisingConcurrencyAdmitsWaiters() {
        var admission = Admission(concurrency: 1, queue: 4)
        _ = admission.arrive(1)
        _ = admission.arrive(2)
        _ = admission.arrive(3)
        #expect(admission.reconfigure(concurrency: 3, queue: 4) == [2, 3])
        #expect(admission.running == 3)
    }

    @Test func zeroQueueRejectsAtOnce() {
        var admission = Admission(concurrency: 1, queue: 0)
        #expect(admission.arrive(1) == .run)
        #expect(admission.arrive(2) == .reject)
    }

    @Test func longQueuesCompactWithoutLosingOrder() {
        var admission = Admission(concurrency: 1, queue: 1_000)
        _ = admission.arrive(0)
        for ticket in 1...500 { _ = admission.arrive(UInt64(ticket)) }
        for expected in 1...500 {
            #expect(admission.finish() == UInt64(expected))
            if expected % 3 == 0 { _ = admission.arrive(UInt64(1_000 + expected)) }
        }
        var rest: [UInt64] = []
        while let next = admission.finish() { rest.append(next) }
        #expect(rest == (1...500).filter { $0 % 3 == 0 }.map { UInt64(1_000 + $0) })
    }
}
