import Testing

@testable import Scheduler

@Suite struct WarmPoolTests {
    let origin = ContinuousClock.now

    @Test func prewarmDeficitCountsCreationsInFlight() {
        var pool = WarmPool<Int>(warm: 3, keepAlive: .seconds(60))
        #expect(pool.deficit == 3)
        pool.beginCreating(2)
        #expect(pool.deficit == 1)
        let result1 = pool.finishCreating(1, now: origin)
        #expect(result1 == nil)
        #expect(pool.idle.count == 1)
        #expect(pool.deficit == 1)
    }

    @Test func checkoutTakesTheMostRecentlyUsed() {
        var pool = WarmPool<Int>(warm: 2, keepAlive: .seconds(60))
        pool.beginCreating(2)
        _ = pool.finishCreating(1, now: origin)
        _ = pool.finishCreating(2, now: origin + .seconds(1))
        let result2 = pool.checkout()
        #expect(result2 == 2)
        #expect(pool.running == 1)
    }

    @Test func faultedCompartmentsAreNeverReturned() {
        var pool = WarmPool<Int>(warm: 1, keepAlive: .seconds(60))
        pool.beginCreating()
        _ = pool.finishCreating(7, now: origin)
        let taken = pool.checkout()!
        guard case .destroy(let dead) = pool.checkin(taken, reusable: false, now: origin) else {
            Issue.record("a faulted compartment was kept")
            return
        }
        #expect(dead == 7)
        #expect(pool.idle.isEmpty)
        #expect(pool.deficit == 1)
    }

    @Test func keepAliveZeroDestroysExtrasAtOnce() {
        var pool = WarmPool<Int>(warm: 0, keepAlive: .zero)
        pool.beginColdRun()
        guard case .destroy = pool.checkin(1, reusable: true, now: origin) else {
            Issue.record("keep_alive 0s kept a compartment")
            return
        }
        #expect(pool.isEmpty)
    }

    @Test func keepAliveZeroStillKeepsTheWarmOnes() {
        var pool = WarmPool<Int>(warm: 1, keepAlive: .zero)
        pool.beginColdRun()
        pool.beginColdRun()
        guard case .keep = pool.checkin(1, reusable: true, now: origin) else {
            Issue.record("the warm compartment was destroyed")
            return
        }
        guard case .destroy = pool.checkin(2, reusable: true, now: origin) else {
            Issue.record("an extra compartment outlived keep_alive 0s")
            return
        }
    }

    @Test func extrasExpireAfterKeepAliveOldestFirstAndWarmOnesStay() {
        var pool = WarmPool<Int>(warm: 1, keepAlive: .seconds(10))
        for _ in 1...3 { pool.beginColdRun() }
        _ = pool.checkin(1, reusable: true, now: origin)
        _ = pool.checkin(2, reusable: true, now: origin + .seconds(5))
        _ = pool.checkin(3, reusable: true, now: origin + .seconds(8))
        let result3 = pool.expire(now: origin + .seconds(9))
        #expect(result3.isEmpty)
        let result4 = pool.expire(now: origin + .seconds(10))
        #expect(result4 == [1])
        let result5 = pool.expire(now: origin + .seconds(100))
        #expect(result5 == [2])
        #expect(pool.idleElements == [3])
    }

    @Test func scaleToZero() {
        var pool = WarmPool<Int>(warm: 0, keepAlive: .seconds(10))
        pool.beginColdRun()
        _ = pool.checkin(1, reusable: true, now: origin)
        let result6 = pool.expire(now: origin + .seconds(10))
        #expect(result6 == [1])
        #expect(pool.isEmpty)
        #expect(pool.deficit == 0)
    }

    @Test func drainingHandsBackIdleAndDestroysReturningOnes() {
        var pool = WarmPool<Int>(warm: 2, keepAlive: .seconds(10))
        pool.beginCreating(2)
        _ = pool.finishCreating(1, now: origin)
        _ = pool.finishCreating(2, now: origin)
        let running = pool.checkout()!
        pool.beginCreating()
        let result7 = pool.drain()
        #expect(result7 == [1])
        let result8 = pool.checkout()
        #expect(result8 == nil)
        #expect(pool.deficit == 0)
        guard case .destroy = pool.checkin(running, reusable: true, now: origin) else {
            Issue.record("a drained pool kept a compartment")
            return
        }
        let result9 = pool.finishCreating(9, now: origin)
        #expect(result9 == 9)
        #expect(pool.isEmpty)
    }

    @Test func evictionTakesTheLeastRecentlyUsed() {
        var pool = WarmPool<Int>(warm: 3, keepAlive: .seconds(10))
        pool.beginCreating(3)
        _ = pool.finishCreating(1, now: origin + .seconds(1))
        _ = pool.finishCreating(2, now: origin + .seconds(2))
        _ = pool.finishCreating(3, now: origin + .seconds(3))
        let used = pool.checkout()!
        _ = pool.checkin(used, reusable: true, now: origin + .seconds(4))
        #expect(pool.oldestIdle == origin + .seconds(1))
        let result10 = pool.evictOldest()
        #expect(result10 == 1)
        let result11 = pool.evictOldest()
        #expect(result11 == 2)
        let result12 = pool.evictOldest()
        #expect(result12 == 3)
    }
}
