import NIOCore

/// Runs a task's jobs on a channel's event loop, so a request whose platform call answers without
/// blocking is handled with no thread hop at all.
///
/// Only code that never blocks may run here: the platform's `invoke` must hand guest execution and
/// any blocking I/O to its own threads (it is `async` for that reason); the answer then resumes on
/// the loop and is written there.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
