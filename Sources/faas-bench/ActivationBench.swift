import ArgumentParser
import Foundation
import Logging
import Registry

#if canImport(Glibc)
import Glibc
#endif

/// `faas-bench activations`: the cost of the activation log on the invocation path and on its writer.
struct ActivationBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activations",
        abstract: "record() cost on the caller side, and the writer's rows/s and CPU per row into SQLite.",
        discussion: """
            Callers record typical success records (32-hex id, empty logs, no stored result) into an
            ActivationLog over a real SQLite file (WAL, full sync) with the default limits, then wait
            for the flush. record() is timed in chunks of 64 calls (median and p99 of the chunk's ns per
            call). The writer's CPU is read two ways: the writer thread's own utime+stime from
            /proc/self/task (10 ms ticks), and the process CPU minus the callers' thread CPU (this one
            also counts anything else the process did, e.g. the main thread waiting).
            Example: swift build -c release --product faas-bench && .build/release/faas-bench activations
            """)

    @Option(help: "Records in all.")
    var records = 200_000

    @Option(help: "Caller threads.")
    var threads = 2

    @Option(help: "Functions the records are spread over.")
    var functions = 4

    @Option(help: "Records per second in all (0: as fast as the callers go).")
    var rate = 0

    static let chunk = 64

    func run() throws {
        guard records > 0, threads > 0, functions > 0, rate >= 0 else {
            throw ValidationError("records, threads and functions must be positive, rate not negative")
        }
        var logger = Logger(label: "faas-bench")
        logger.logLevel = .error
        let folder = NSTemporaryDirectory() + "faas-bench-activations-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteFunctionStore(path: folder + "/registry.sqlite")
        defer { store.close() }
        let log = ActivationLog(store: store, logger: logger)

        let perThread = records / threads
        let total = perThread * threads
        let workloads = (0..<threads).map { thread in
            (0..<perThread).map { index in Self.typicalRecord(function: "fn\((index * threads + thread) % functions)") }
        }
        let results = Results(threads: threads)
        let interval = rate > 0 ? Double(Self.chunk * threads) / Double(rate) : 0
        let processBefore = Self.cpuNanoseconds(CLOCK_PROCESS_CPUTIME_ID)
        let writerBefore = Self.writerTicks()
        let began = Self.now()
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            let workload = workloads[thread]
            let worker = Thread {
                ThreadName.setCurrent("bench-caller")
                let cpuBefore = Self.cpuNanoseconds(CLOCK_THREAD_CPUTIME_ID)
                var samples: [Double] = []
                samples.reserveCapacity(workload.count / Self.chunk + 1)
                var index = 0
                var round = 0
                while index < workload.count {
                    if interval > 0 {
                        let due = began + UInt64(Double(round) * interval * 1e9)
                        let now = Self.now()
                        if due > now { usleep(UInt32((due - now) / 1000)) }
                    }
                    let end = min(index + Self.chunk, workload.count)
                    let start = Self.now()
                    for position in index..<end { log.record(workload[position]) }
                    samples.append(Double(Self.now() - start) / Double(end - index))
                    index = end
                    round += 1
                }
                let cpu = Self.cpuNanoseconds(CLOCK_THREAD_CPUTIME_ID) - cpuBefore
                results.set(thread: thread, samples: samples, cpu: cpu)
                group.leave()
            }
            worker.start()
        }
        group.wait()
        let recorded = Self.now()
        let flushed = log.flush(timeout: .seconds(600))
        let drained = Self.now()
        let processCPU = Self.cpuNanoseconds(CLOCK_PROCESS_CPUTIME_ID) - processBefore
        let writerCPU = Double(Self.writerTicks() - writerBefore) * 1e9 / Double(sysconf(Int32(_SC_CLK_TCK)))
        log.close()
        guard flushed else { throw ValidationError("the log did not drain within 600 s") }

        let samples = results.samples.sorted()
        let callerCPU = results.cpu
        let wall = Double(drained - began) / 1e9
        print(
            String(
                format: "activations: %d records from %d threads over %d functions, %@",
                total, threads, functions, rate > 0 ? "paced at \(rate)/s" : "unpaced"))
        print(
            String(
                format: "  record(): median %.0f ns/op, p99 %.0f ns/op (chunks of %d); caller thread CPU %.0f ns/record",
                samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)], Self.chunk,
                callerCPU / Double(total)))
        print(
            String(
                format: "  recording took %.3f s, drain after it %.3f s; writer sustained %.0f rows/s (records / (first record -> flushed))",
                Double(recorded - began) / 1e9, Double(drained - recorded) / 1e9, Double(total) / wall))
        print(
            String(
                format: "  writer CPU: %.2f us/row (writer thread, /proc ticks); process CPU minus callers: %.2f us/row",
                writerCPU / 1000 / Double(total), (processCPU - callerCPU) / 1000 / Double(total)))
    }

    /// A success record as the scheduler writes it for a warm synchronous invocation.
    static func typicalRecord(function: String) -> ActivationRecord {
        var generator = SystemRandomNumberGenerator()
        let id = String((UInt64(1) << 63) | generator.next(), radix: 16) + String((UInt64(1) << 63) | generator.next(), radix: 16)
        return ActivationRecord(
            id: id, function: function, version: 1, status: .succeeded, start: "warm", queueUs: 3, initUs: 0,
            runUs: 41, exit: 0, error: nil, message: nil, logs: "", fuelUsed: 1234, created: Date(), result: nil)
    }

    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    static func cpuNanoseconds(_ clock: clockid_t) -> Double {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Double(spec.tv_sec) * 1e9 + Double(spec.tv_nsec)
    }

    /// utime + stime (clock ticks) of the activation writer thread, found by its name.
    static func writerTicks() -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                name.hasPrefix("faas-act-writer"),
                let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // Fields after "(comm) ": state is field 3; utime and stime are fields 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { continue }
            return user + system
        }
        return 0
    }
}

/// What the caller threads measured.
private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var perThread: [[Double]]
    private var cpuPerThread: [Double]

    init(threads: Int) {
        perThread = Array(repeating: [], count: threads)
        cpuPerThread = Array(repeating: 0, count: threads)
    }

    func set(thread: Int, samples: [Double], cpu: Double) {
        lock.withLock {
            perThread[thread] = samples
            cpuPerThread[thread] = cpu
        }
    }

    var samples: [Double] { lock.withLock { perThread.flatMap { $0 } } }
    var cpu: Double { lock.withLock { cpuPerThread.reduce(0, +) } }
}
