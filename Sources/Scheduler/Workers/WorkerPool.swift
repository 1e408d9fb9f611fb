import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A fixed set of threads that run guest code, fed from async code.
///
/// Guest execution blocks a thread for as long as the guest runs, so it never runs on the
/// cooperative pool or an event loop. Jobs are queued per fairness key (a function name) and the
/// threads take keys round-robin, so that a burst from one function — a fault storm, a flood of
/// calls — cannot starve the others.
public final class WorkerPool: @unchecked Sendable {
    // Safe to share: every mutable field below is read and written only with `condition` locked.
    private let condition = NSCondition()
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

    /// Starts `size` threads (at least one).
    public init(size: Int, name: String = "faas-worker") {
        self.size = max(1, size)
        for index in 0..<self.size {
            let thread = Thread { [unowned self] in self.loop() }
            thread.name = "\(name)-\(index)"
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
        let wake = idleThreads > 0
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
            guard var jobs = queues[key], !jobs.isEmpty else { continue }
            let job = jobs.removeFirst()
            if jobs.isEmpty {
                queues[key] = nil
                ring.remove(at: index)
                ringIndex = count > 1 ? index % (count - 1) : 0
            } else {
                queues[key] = jobs
                ringIndex = (index + 1) % count
            }
            pending -= 1
            return job
        }
        return nil
    }

    private func loop() {
        pthread_setspecific(Self.owner, Unmanaged.passUnretained(self).toOpaque())
        while true {
            condition.lock()
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
            condition.unlock()
            job?()
        }
    }
}
