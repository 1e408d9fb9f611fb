#if canImport(Glibc)
    import Glibc
#endif

/// A value behind a glibc adaptive mutex: a contended `lock` spins briefly, then sleeps on a plain
/// futex.
///
/// For the state that event loops and worker threads take on every invocation. Swift 6.3's
/// `Synchronization.Mutex` sleeps on a priority-inheritance futex on Linux: once one thread waits,
/// the kernel hands the lock from owner to waiter without the lock ever becoming free, so under load
/// acquisitions keep going through the kernel instead of being won by a short spin
/// (swiftlang/swift#88440). Profiles of warm invocations showed that path (`futex_lock_pi`,
/// `rt_mutex`) on both the event loops and the workers.
final class AdaptiveLock<Value>: @unchecked Sendable {
    // Safe to share: `value` is read and written only while `mutex` is held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let value: UnsafeMutablePointer<Value>

    init(_ initial: Value) {
        value = .allocate(capacity: 1)
        value.initialize(to: initial)
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        let result = pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        precondition(result == 0, "pthread_mutex_init failed (\(result))")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` on the value with the lock held.
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
