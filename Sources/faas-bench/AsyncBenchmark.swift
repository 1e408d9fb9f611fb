import ArgumentParser
import Foundation
import Logging
import Registry
import Sandbox
import SandboxTesting
import Scheduler

/// `faas-bench async`: durable async acceptance (each one committed to SQLite before it is
/// answered) at 32 callers beside synchronous invocations at 32, and the latency from acceptance
/// to the guest starting when a compartment is free.
struct AsyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "async",
        abstract: "Durable async accepts/s at c=32 beside sync invocations/s, and accept-to-start latency.",
        discussion: "Example: swift run -c release faas-bench async --seconds 5"
    )

    @Option(help: "Seconds of load per measurement.")
    var seconds = 5.0

    @Option(help: "Concurrent callers.")
    var callers = 32

    @Option(help: "Sequential accepts for the accept-to-start latency.")
    var samples = 1000

    func run() async throws {
        let directory = NSTemporaryDirectory() + "faas-bench-async-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "faas.bench")
        logger.logLevel = .warning
        let registry = try FunctionRegistry.open(directory: directory, logger: logger)
        let scheduler = Scheduler(registry: registry, intravisor: Intravisor(), logger: logger)
        let runner = AsyncRunner(scheduler: scheduler, logger: logger)
        await runner.start()
        let noop = try Examples.module(named: "noop")
        var writer = ArchiveWriter()
        writer.addFile(
            "function.yaml",
            contents: Array("name: noop\nmodule: noop.wasm\nabi: iv\nconcurrency: 64\nqueue: 100000\nwarm: 8\n".utf8))
        writer.addFile("noop.wasm", contents: noop)
        _ = try await scheduler.deploy(archive: try writer.archive())
        try await Task.sleep(for: .milliseconds(300))  // let the pool prewarm
        print("data folder: \(directory) (SQLite WAL, synchronous=FULL: every commit is fsynced)")

        // Synchronous invocations at c=callers, then durable async acceptance at c=callers.
        let sync = await load(callers: callers) {
            if case .failure = await scheduler.invoke(function: "noop", version: nil, request: InvocationRequest()).result {
                return false
            }
            return true
        }
        print("sync invoke noop c=\(callers): \(Int(sync.rate)) invocations/s, p50 \(BenchFigures.format(sync.p50)) p99 \(BenchFigures.format(sync.p99))")
        let accepted = await load(callers: callers) {
            if case .accepted = await runner.accept(
                function: "noop", version: nil, request: InvocationRequest(), idempotencyKey: nil)
            {
                return true
            }
            return false
        }
        print(
            "durable async accept noop c=\(callers): \(Int(accepted.rate)) accepts/s (202s), p50 \(BenchFigures.format(accepted.p50)) "
                + "p99 \(BenchFigures.format(accepted.p99))" + (accepted.failures > 0 ? ", \(accepted.failures) refused" : ""))
        let drainStart = ContinuousClock.now
        while (try await registry.queue.depths())["noop"] ?? 0 > 0 { try await Task.sleep(for: .milliseconds(20)) }
        let drained = BenchFigures.seconds(.now - drainStart)
        print(
            "  the \(accepted.count) accepted ran to succeeded \(String(format: "%.2f", drained)) s after the load ended "
                + "(\(Int(Double(accepted.count) / (seconds + drained))) completions/s overall)")

        // Accept-to-start with a free compartment: the accept (stored and answered), then the wait
        // from the hand-over to the guest starting (`queue_us` of its record).
        var acceptTimes: [Duration] = []
        var toStart: [Duration] = []
        for _ in 0..<samples {
            let began = ContinuousClock.now
            guard case .accepted(let id) = await runner.accept(
                function: "noop", version: nil, request: InvocationRequest(), idempotencyKey: nil)
            else { continue }
            let acceptTime = ContinuousClock.now - began
            var record: ActivationRecord?
            while record?.status != .succeeded {
                record = try registry.activations.get(id: id)
                if record?.status != .succeeded { try await Task.sleep(for: .microseconds(200)) }
            }
            acceptTimes.append(acceptTime)
            toStart.append(acceptTime + .microseconds(record?.queueUs ?? 0))
        }
        print(
            "accept c=1: p50 \(BenchFigures.format(BenchFigures.percentile(acceptTimes, 0.5))) "
                + "p99 \(BenchFigures.format(BenchFigures.percentile(acceptTimes, 0.99)))")
        print(
            "accept-to-start c=1 (a compartment free): p50 \(BenchFigures.format(BenchFigures.percentile(toStart, 0.5))) "
                + "p99 \(BenchFigures.format(BenchFigures.percentile(toStart, 0.99)))")
        runner.stop()
        await scheduler.shutdown(grace: .seconds(5))
        registry.close()
    }

    private struct Load {
        var count: Int
        var failures: Int
        var rate: Double
        var p50: Duration
        var p99: Duration
    }

    /// `callers` tasks calling `call` until `seconds` pass.
    private func load(callers: Int, _ call: @escaping @Sendable () async -> Bool) async -> Load {
        let began = ContinuousClock.now
        let deadline = began + .milliseconds(Int(seconds * 1000))
        let (samples, failures) = await withTaskGroup(of: ([Duration], Int).self) { group in
            for _ in 0..<callers {
                group.addTask {
                    var samples: [Duration] = []
                    var failures = 0
                    while ContinuousClock.now < deadline {
                        let start = ContinuousClock.now
                        if await call() { samples.append(.now - start) } else { failures += 1 }
                    }
                    return (samples, failures)
                }
            }
            return await group.reduce(into: ([Duration](), 0)) { $0.0 += $1.0; $0.1 += $1.1 }
        }
        let elapsed = BenchFigures.seconds(.now - began)
        return Load(
            count: samples.count, failures: failures, rate: Double(samples.count) / elapsed,
            p50: BenchFigures.percentile(samples, 0.5), p99: BenchFigures.percentile(samples, 0.99))
    }
}
