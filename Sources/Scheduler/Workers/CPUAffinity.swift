import CAffinity

/// The CPUs this process may run on, and pinning a thread to one of them. Linux only: elsewhere
/// no CPU is listed and nothing is pinned.
enum CPUAffinity {
    /// The CPUs in the calling thread's affinity mask, in increasing order (empty if it cannot be read).
    static func allowed() -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let count = Int(caffinity_allowed(&cpus, Int32(cpus.count)))
        guard count > 0 else { return [] }
        return cpus.prefix(min(count, cpus.count)).map(Int.init)
    }

    /// Restricts the calling thread to `cpu`. Returns false if the system refused (say, a CPU
    /// outside the process's cpuset).
    @discardableResult
    static func pinCurrentThread(to cpu: Int) -> Bool {
        guard let cpu = Int32(exactly: cpu) else { return false }
        return caffinity_pin_current_thread(cpu) == 0
    }

    /// The CPUs to pin `workers` threads to, one each: the first `workers` allowed CPUs, or none
    /// when there are fewer CPUs than threads (an oversubscribed pool is left to the kernel).
    static func forWorkers(_ workers: Int) -> [Int] {
        let cpus = allowed()
        guard workers >= 1, cpus.count >= workers else { return [] }
        return Array(cpus.prefix(workers))
    }
}
