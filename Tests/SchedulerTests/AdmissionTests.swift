import Testing

@testable import Scheduler

@Suite struct AdmissionTests {
    @Test func runsUpToConcurrencyThenQueuesThenRejects() {
        var admission = Admission(concurrency: 2, queue: 2)
        let result1 = admission.arrive(1)
        #expect(result1 == .run)
        let result2 = admission.arrive(2)
        #expect(result2 == .run)
        let result3 = admission.arrive(3)
        #expect(result3 == .wait(position: 0))
        let result4 = admission.arrive(4)
        #expect(result4 == .wait(position: 1))
        let result5 = admission.arrive(5)
        #expect(result5 == .reject)
        #expect(admission.running == 2)
        #expect(admission.queued == 2)
    }

    @Test func finishHandsTheSlotToTheOldestWaiter() {
        var admission = Admission(concurrency: 1, queue: 3)
        _ = admission.arrive(1)
        _ = admission.arrive(2)
        _ = admission.arrive(3)
        let result6 = admission.finish()
        #expect(result6 == 2)
        #expect(admission.running == 1)
        let result7 = admission.finish()
        #expect(result7 == 3)
        let result8 = admission.finish()
        #expect(result8 == nil)
        #expect(admission.running == 0)
    }

    @Test func arrivalsDoNotOvertakeTheQueue() {
        var admission = Admission(concurrency: 1, queue: 4)
        _ = admission.arrive(1)
        _ = admission.arrive(2)
        // A slot frees and is handed to ticket 2, so a newcomer must still wait.
        let result9 = admission.finish()
        #expect(result9 == 2)
        let result10 = admission.arrive(3)
        #expect(result10 == .wait(position: 0))
    }

    @Test func cancelledWaitersAreSkipped() {
        var admission = Admission(concurrency: 1, queue: 4)
        _ = admission.arrive(1)
        _ = admission.arrive(2)
        _ = admission.arrive(3)
        let result11 = admission.cancel(2)
        #expect(result11)
        let result12 = admission.cancel(2)
        #expect(!result12)
        let result13 = admission.finish()
        #expect(result13 == 3)
        let result14 = admission.finish()
        #expect(result14 == nil)
    }

    @Test func tryAcquireNeverQueues() {
        var admission = Admission(concurrency: 1, queue: 4)
        let result15 = admission.tryAcquire()
        #expect(result15)
        let result16 = admission.tryAcquire()
        #expect(!result16)
        #expect(admission.queued == 0)
    }

    @Test func raisingConcurrencyAdmitsWaiters() {
        var admission = Admission(concurrency: 1, queue: 4)
        _ = admission.arrive(1)
        _ = admission.arrive(2)
        _ = admission.arrive(3)
        let admitted = admission.reconfigure(concurrency: 3, queue: 4)
        #expect(admitted == [2, 3])
        #expect(admission.running == 3)
    }

    @Test func zeroQueueRejectsAtOnce() {
        var admission = Admission(concurrency: 1, queue: 0)
        let result17 = admission.arrive(1)
        #expect(result17 == .run)
        let result18 = admission.arrive(2)
        #expect(result18 == .reject)
    }

    @Test func longQueuesCompactWithoutLosingOrder() {
        var admission = Admission(concurrency: 1, queue: 1_000)
        _ = admission.arrive(0)
        for ticket in 1...500 { _ = admission.arrive(UInt64(ticket)) }
        for expected in 1...500 {
            let next = admission.finish()
            #expect(next == UInt64(expected))
            if expected % 3 == 0 { _ = admission.arrive(UInt64(1_000 + expected)) }
        }
        var rest: [UInt64] = []
        while let next = admission.finish() { rest.append(next) }
        let expected: [UInt64] = (1...500).filter { $0 % 3 == 0 }.map { UInt64(1_000 + $0) }
        #expect(rest == expected)
    }
}
