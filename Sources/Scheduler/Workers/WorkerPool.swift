public import Foundation
import Registry
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// Threads that run guest code, fed from async code, with one *slot* per core.
///
/// Guest execution blocks a thread for as long as the guest runs, so it never runs on the
/// cooperative pool or an event loop. Jobs are queued per fairness key (a function name) and the
/// threads take keys round-robin, so that a burst from one function — a fault storm, a flood of
/// calls — cannot starve the others.
///
/// At most ``size`` threads run guest code at once: each holds a slot. A guest that waits on the
/// network (an outbound request, a durable write) gives its slot back for the wait with
/// ``blocking(_:)`` and takes one again before it runs on, the way Go's runtime hands off a
/// processor around a blocking system call: the freed slot runs queued work, there at once or
/// submitted later, on an idle thread or on one started for it (at most ``maxExtraThreads`` beyond
/// ``size``; extras end after a while idle). A returning guest gets the next freed slot before any
/// new job, in order of return.
///
/// Each of the ``size`` threads the pool starts with may be pinned to a CPU of its own
/// (``pinnedCPUs``), while jobs stay in one queue that every thread takes from, so a thread slowed
/// by a busy core leaves the queue to the others, and the kernel no longer moves the threads
/// between cores (`SchedulerConfiguration.pinWorkers`). Threads started for ``blocking(_:)`` are
/// not pinned.
///
/// A thread that finds no work looks again for a short while (``spin``, yielding the core
/// meanwhile) before it sleeps: under load the next job usually arrives within microseconds, and
/// taking it without a sleep and a wake-up saves two context switches per job. A submitter wakes a
/// sleeping thread only when no thread is looking; a thread that takes a job and sees more waiting
/// wakes the next one.
public final class WorkerPool: @unchecked Sendable {
    // Safe to share: every mutable field below is read and written only with `condition` locked,
    // except `queued`, an atomic copy of `pending` that looking threads read without the lock.
    private let condition = NSCondition()
    private let queued = Atomic<Int>(0)
    private var looking = 0
    private var queues: [String: [@Sendable () -> Void]] = [:]
    private var ring: [String] = []
    private var ringIndex = 0
    private var pending = 0
    private var stopping = false
    private var liveThreads = 0
    private var idleThreads = 0
    /// Threads started and not yet in their loop: about to look for work.
    private var startingThreads = 0
    /// Slots held: threads running a job and not inside ``blocking(_:)``. Never above ``size``.
    private var running = 0
    /// Guests back from a wait, each waiting for a slot to be handed to it, oldest first.
    private var returning: [DispatchSemaphore] = []
    private var nextIndex = 0

    /// The number of slots: threads running guest code at once.
    public let size: Int
    /// Threads that may exist beyond ``size`` while guests wait in ``blocking(_:)``.
    public let maxExtraThreads: Int
    /// How long an idle thread looks for new work before it sleeps.
    public let spin: Duration
    /// How long a thread beyond ``size`` stays idle before it ends.
    public let extraIdleTime: TimeInterval
    /// The CPU each of the first threads is pinned to, in order (empty: none is pinned).
    public let pinnedCPUs: [Int]
    private let name: String

    /// Starts `size` threads (at least one); thread `i` pinned to `pinnedCPUs[i]` where given.
    public init(
        size: Int, name: String = "faas-worker", spin: Duration = .microseconds(50), maxExtraThreads: Int = 256,
        extraIdleTime: TimeInterval = 10, pinnedCPUs: [Int] = []
    ) {
        self.size = max(1, size)
        self.spin = spin
        self.name = name
        self.maxExtraThreads = max(0, maxExtraThreads)
        self.extraIdleTime = extraIdleTime
        self.pinnedCPUs = Array(pinnedCPUs.prefix(self.size))
        condition.lock()
        for _ in 0..<self.size { startThread() }
        condition.unlock()
    }

    /// Starts one more thread. Called with the lock held.
    private func startThread() {
        let threadName = "\(name)-\(nextIndex)"
        // Only the first threads are pinned: later ones are extras for guests in a wait.
        let cpu = nextIndex < pinnedCPUs.count ? pinnedCPUs[nextIndex] : nil
        nextIndex += 1
        liveThreads += 1
        startingThreads += 1
        let thread = Thread { [unowned self] in
            ThreadName.setCurrent(threadName)
            if let cpu { CPUAffinity.pinCurrentThread(to: cpu) }
            self.loop(pinned: cpu != nil)
        }
        thread.name = threadName
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues `job` under `key`. Jobs with one key run in order of submission relative to each
    /// other only when one thread is free; across keys the threads alternate.
    public func submit(key: String, _ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if stopping {
            condition.unlock()
            job()
            return
        }
        if queues[key] == nil {
            queues[key] = [job]
            ring.append(key)
        } else {
            queues[key]!.append(job)
        }
        pending += 1
        queued.store(pending, ordering: .relaxed)
        let wake = needsTaker()
        condition.unlock()
        if wake { condition.signal() }
    }

    /// Runs `body` on a worker thread and returns its result to the awaiting task.
    public func run<T: Sendable>(key: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit(key: key) { continuation.resume(returning: body()) }
        }
    }

    /// Runs `body`, a wait that uses no CPU (the network, a commit), with this thread's slot given
    /// back meanwhile; returns once `body` is done and a slot is this thread's again. On a thread
    /// that is not this pool's, `body` just runs.
    public func blocking<T>(_ body: () throws -> T) rethrows -> T {
        guard isCurrentThreadWorker else { return try body() }
        condition.lock()
        running -= 1
        let wake = slotFreed()
        condition.unlock()
        if wake { condition.signal() }
        defer { takeSlot() }
        return try body()
    }

    /// Takes a slot after a wait: at once if one is free and no guest returned earlier, else when
    /// a thread hands one over.
    private func takeSlot() {
        condition.lock()
        if running < size && returning.isEmpty {
            running += 1
            condition.unlock()
            return
        }
        let handed = DispatchSemaphore(value: 0)
        returning.append(handed)
        condition.unlock()
        handed.wait()  // the slot was counted for this thread by whoever handed it over
    }

    /// A slot was just freed (lock held): hand it to a returning guest, or see that a thread runs
    /// queued work with it. Returns whether to signal an idle thread after unlocking.
    private func slotFreed() -> Bool {
        if !returning.isEmpty {
            running += 1
            returning.removeFirst().signal()
            return false
        }
        return needsTaker()
    }

    /// Jobs wait and a slot is free (lock held): returns whether to signal an idle thread after
    /// unlocking. With none idle, looking or starting, every other thread is inside ``blocking(_:)``,
    /// so one is started: else the jobs would wait for one of those waits to end with a slot free.
    private func needsTaker() -> Bool {
        guard pending > 0, running < size, looking == 0 else { return false }
        if idleThreads > 0 { return true }
        if startingThreads == 0, liveThreads < size + maxExtraThreads, !stopping { startThread() }
        return false
    }

    /// Whether the calling thread is one of this pool's threads.
    public var isCurrentThreadWorker: Bool {
        pthread_getspecific(Self.owner) == UnsafeMutableRawPointer(Unmanaged.passUnretained(self).toOpaque())
    }

    /// The pool that owns the current thread, if any.
    private static let owner: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Jobs waiting for a thread.
    public var backlog: Int {
        condition.lock()
        defer { condition.unlock() }
        return pending
    }

    /// Threads alive now (``size`` plus the extras started for waiting guests).
    public var threadCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return liveThreads
    }

    /// Lets queued jobs finish, then ends the threads. Jobs submitted afterwards run inline.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.unlock()
        condition.broadcast()
        condition.lock()
        while liveThreads > 0 {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
        condition.unlock()
    }

    private func next() -> (@Sendable () -> Void)? {
        // Called with the lock held and pending > 0.
        let count = ring.count
        for step in 0..<count {
            let index = (ringIndex + step) % count
            let key = ring[index]
            guard queues[key]?.isEmpty == false else { continue }
            let job = queues[key]!.removeFirst()  // in place: the queue is not copied
            if queues[key]!.isEmpty {
                queues[key] = nil
                ring.remove(at: index)
                ringIndex = count > 1 ? index % (count - 1) : 0
            } else {
                ringIndex = (index + 1) % count
            }
            pending -= 1
            queued.store(pending, ordering: .relaxed)
            return job
        }
        return nil
    }

    /// A thread's life. A pinned thread never ends for being idle, so the pool keeps its pinned
    /// threads and lets the extras go.
    private func loop(pinned: Bool) {
        pthread_setspecific(Self.owner, Unmanaged.passUnretained(self).toOpaque())
        condition.lock()
        startingThreads -= 1
        while true {
            if !(pending > 0 && running < size) && !stopping {
                looking += 1
                condition.unlock()
                lookForWork()
                condition.lock()
                looking -= 1
            }
            while !(pending > 0 && running < size) && !(stopping && pending == 0) {
                idleThreads += 1
                let woke: Bool
                if liveThreads > size && !pinned {
                    woke = condition.wait(until: Date(timeIntervalSinceNow: extraIdleTime))
                } else {
                    condition.wait()
                    woke = true
                }
                idleThreads -= 1
                if !woke, liveThreads > size, pending == 0, !stopping {
                    liveThreads -= 1  // an extra thread that no waiting guest needs any more
                    condition.unlock()
                    return
                }
            }
            if pending == 0 {  // and stopping
                liveThreads -= 1
                condition.unlock()
                condition.broadcast()
                return
            }
            let job = next()
            running += 1
            // More work than this thread: make sure another thread is on it.
            let wakeAnother = needsTaker()
            condition.unlock()
            if wakeAnother { condition.signal() }
            job?()
            condition.lock()
            running -= 1
            // A guest back from a wait goes first; otherwise this thread takes the next job itself.
            if !returning.isEmpty {
                running += 1
                returning.removeFirst().signal()
            }
        }
    }

    /// Returns when a job is queued or ``spin`` has passed, yielding the core between looks.
    private func lookForWork() {
        guard spin > .zero else { return }
        let clock = ContinuousClock()
        let giveUp = clock.now + spin
        while queued.load(ordering: .relaxed) == 0 && clock.now < giveUp {
            sched_yield()
        }
    }
}
