import Foundation
import Registry
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// A fixed set of threads that run guest code, fed from async code.
///
/// Guest execution blocks a thread for as long as the guest runs, so it never runs on the
/// cooperative pool or an event loop. Jobs are queued per fairness key (a function name) and the
/// threads take keys round-robin, so that a burst from one function — a fault storm, a flood of
/// calls — cannot starve the others.
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
    private var threads: [Thread] = []
    private var idleThreads = 0
    private var exited = 0

    /// The number of threads.
    public let size: Int
    /// How long an idle thread looks for new work before it sleeps.
    public let spin: Duration

    /// Starts `size` threads (at least one).
    public init(size: Int, name: String = "faas-worker", spin: Duration = .microseconds(50)) {
        self.size = max(1, size)
        self.spin = spin
        for index in 0..<self.size {
            let threadName = "\(name)-\(index)"
            let thread = Thread { [unowned self] in
                ThreadName.setCurrent(threadName)
                self.loop()
            }
            thread.name = threadName
            thread.stackSize = 8 << 20
            threads.append(thread)
            thread.start()
        }
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
        let wake = idleThreads > 0 && looking == 0
        condition.unlock()
        if wake { condition.signal() }
    }

    /// Runs `body` on a worker thread and returns its result to the awaiting task.
    public func run<T: Sendable>(key: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            submit(key: key) { continuation.resume(returning: body()) }
        }
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

    /// Lets queued jobs finish, then ends the threads. Jobs submitted afterwards run inline.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.unlock()
        condition.broadcast()
        condition.lock()
        while exited < size {
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

    private func loop() {
        pthread_setspecific(Self.owner, Unmanaged.passUnretained(self).toOpaque())
        condition.lock()
        while true {
            if pending == 0 && !stopping {
                looking += 1
                condition.unlock()
                lookForWork()
                condition.lock()
                looking -= 1
            }
            while pending == 0 && !stopping {
                idleThreads += 1
                condition.wait()
                idleThreads -= 1
            }
            if pending == 0 && stopping {
                exited += 1
                condition.unlock()
                condition.broadcast()
                return
            }
            let job = next()
            // More work than this thread: make sure another thread is on it.
            let wakeAnother = pending > 0 && idleThreads > 0 && looking == 0
            condition.unlock()
            if wakeAnother { condition.signal() }
            job?()
            condition.lock()
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
