import Foundation

/// Runs a long, blocking test body (a fuzz loop, a child-process kill loop) on a thread of its own.
///
/// Tests run concurrently on the cooperative pool, which has one thread per core. A synchronous
/// test that computes for seconds holds one of those threads all along; two of them on a 2-core
/// machine starve every async test — and the platform's own async code under test — for as long.
/// Here the body runs in the same task (so `#expect` still knows its test) but on a dedicated
/// thread, through a task executor preference: it competes for the CPU like any thread, and never
/// blocks the pool.
public func onDedicatedThread<T: Sendable>(_ body: @Sendable () throws -> T) async throws -> T {
    let executor = DedicatedThreadExecutor()
    defer { executor.stop() }
    return try await withTaskExecutorPreference(executor) {
        try body()
    }
}

/// A task executor with one thread that runs the jobs enqueued on it, in order.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    // Safe to share: `jobs` and `stopping` are touched only with `condition` locked.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false

    init() {
        let thread = Thread { [self] in run() }
        thread.stackSize = 16 << 20
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.unlock()
        condition.signal()
    }

    /// Ends the thread once its queue is empty.
    func stop() {
        condition.lock()
        stopping = true
        condition.unlock()
        condition.signal()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
