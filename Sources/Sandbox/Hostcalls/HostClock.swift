#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The host clocks behind `clock_ns` and WASI `clock_time_get`.
enum HostClock {
    static func realtimeNanoseconds() -> UInt64 { read(CLOCK_REALTIME) }
    static func monotonicNanoseconds() -> UInt64 { read(CLOCK_MONOTONIC) }
    /// Resolution in nanoseconds of both clocks.
    static let resolution: UInt64 = 1

    private static func read(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}

/// The host's random bytes behind `random` and WASI `random_get`.
enum HostRandom {
    static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var generator = SystemRandomNumberGenerator()
        var offset = 0
        while offset < buffer.count {
            var word = generator.next()
            let count = min(8, buffer.count - offset)
            withUnsafeBytes(of: &word) { bytes in
                buffer.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: count)
            }
            offset += count
        }
    }
}
