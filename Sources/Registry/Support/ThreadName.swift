#if canImport(Glibc)
    import Glibc
#endif

/// Names the calling thread as `top`, `perf` and /proc show it.
///
/// On Linux `Foundation.Thread.name` does not reach the system thread, so the platform's own threads
/// (the activation writer, the scheduler's workers) name themselves here. The kernel keeps at most
/// 15 bytes.
package enum ThreadName {
    package static func setCurrent(_ name: String) {
        #if os(Linux)
            let descriptor = open("/proc/thread-self/comm", O_WRONLY)
            guard descriptor >= 0 else { return }
            _ = name.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, min($0.count - 1, 15)) }
            close(descriptor)
        #endif
    }
}
