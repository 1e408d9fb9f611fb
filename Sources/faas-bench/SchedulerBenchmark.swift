import ArgumentParser
import Foundation
import Logging
import Registry
import Sandbox
import SandboxTesting
import Scheduler

/// `faas-bench scheduler`: what the scheduler adds over a bare compartment invoke, warm throughput
/// and latency at several concurrencies, and cold starts with `warm: 0`.
struct SchedulerBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Warm invoke through the scheduler at 1/8/64 callers, overhead over the bare sandbox, cold starts.",
        discussion: "Example: swift run -c release faas-bench scheduler --invocations 20000"
    )

    @Option(help: "Warm invocations per concurrency level.")
    var invocations = 20_000

    @Option(help: "Cold starts measured.")
    var coldStarts = 500

    func run() async throws {
        let directory = NSTemporaryDirectory() + "faas-bench-scheduler-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var logger = Logger(label: "faas.bench")
        logger.logLevel = .warning
        let registry = try FunctionRegistry.open(directory: directory, logger: logger)
        let intravisor = Intravisor()
        let scheduler = Scheduler(registry: registry, intravisor: intravisor, logger: logger)

        let noop = try Examples.module(named: "noop")
        let hello = try Examples.module(named: "hello")
        let wide = "concurrency: 64\nqueue: 100000\nwarm: 8\n"
        _ = try await scheduler.deploy(archive: archive("noop", abi: "iv", module: noop, settings: wide))
        _ = try await scheduler.deploy(archive: archive("hello", abi: "wasi", module: hello, settings: wide))
        _ = try await scheduler.deploy(
            archive: archive("noop-cold", abi: "iv", module: noop, settings: "warm: 0\nkeep_alive: 0s\n"))
        _ = try await scheduler.deploy(
            archive: archive("hello-cold", abi: "wasi", module: hello, settings: "warm: 0\nkeep_alive: 0s\n"))
        try await Task.sleep(for: .milliseconds(300))  // let the pools prewarm

        // The bare sandbox: one compartment invoked in a loop on this thread.
        for (name, module, abi) in [("noop", noop, GuestABI.iv), ("hello", hello, GuestABI.wasi)] {
            let image = try CompartmentImage(
                module: module, files: [:], descriptor: ImageDescriptor(function: name, abi: abi), intravisor: intravisor)
            let compartment = try Compartment(image: image, id: 1, callHandler: nil)
            var samples: [Duration] = []
            for _ in 0..<invocations {
                let began = ContinuousClock.now
                _ = compartment.invoke(
                    InvocationRequest(), context: InvocationContext(activation: "bench", deadline: .now + .seconds(60)))
                samples.append(.now - began)
            }
            print("bare sandbox warm \(name): p50 \(format(percentile(samples, 0.5))) p99 \(format(percentile(samples, 0.99)))")
        }

        for name in ["noop", "hello"] {
            for callers in [1, 8, 64] {
                let (samples, elapsed, errors) = await load(scheduler, function: name, callers: callers, total: invocations)
                let rate = Double(samples.count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                print(
                    "scheduler warm \(name) c=\(callers): \(Int(rate)) invocations/s, p50 \(format(percentile(samples, 0.5))) "
                        + "p99 \(format(percentile(samples, 0.99)))" + (errors > 0 ? ", \(errors) errors" : ""))
            }
        }

        for name in ["noop-cold", "hello-cold"] {
            var samples: [Duration] = []
            var cold = 0
            for _ in 0..<coldStarts {
                let began = ContinuousClock.now
                let answer = await scheduler.invoke(function: name, version: nil, request: InvocationRequest())
                samples.append(.now - began)
                if answer.start == .cold { cold += 1 }
            }
            print(
                "scheduler cold \(name) (warm: 0, keep_alive: 0s): p50 \(format(percentile(samples, 0.5))) "
                    + "p99 \(format(percentile(samples, 0.99))) (\(cold)/\(coldStarts) cold)")
        }
        await scheduler.shutdown(grace: .seconds(5))
        registry.close()
    }

    private func load(_ scheduler: Scheduler, function: String, callers: Int, total: Int) async
        -> (samples: [Duration], elapsed: Duration, errors: Int)
    {
        let began = ContinuousClock.now
        let results = await withTaskGroup(of: ([Duration], Int).self) { group in
            for caller in 0..<callers {
                let share = total / callers + (caller < total % callers ? 1 : 0)
                group.addTask {
                    var samples: [Duration] = []
                    samples.reserveCapacity(share)
                    var errors = 0
                    for _ in 0..<share {
                        let start = ContinuousClock.now
                        let answer = await scheduler.invoke(
                            function: function, version: nil, request: InvocationRequest())
                        samples.append(.now - start)
                        if case .failure = answer.result { errors += 1 }
                    }
                    return (samples, errors)
                }
            }
            return await group.reduce(into: ([Duration](), 0)) { $0.0 += $1.0; $0.1 += $1.1 }
        }
        return (results.0, .now - began, results.1)
    }

    private func archive(_ name: String, abi: String, module: [UInt8], settings: String) throws -> [UInt8] {
        var writer = ArchiveWriter()
        writer.addFile(
            "function.yaml", contents: Array("name: \(name)\nmodule: \(name).wasm\nabi: \(abi)\n\(settings)".utf8))
        writer.addFile("\(name).wasm", contents: module)
        return try writer.archive()
    }

    private func percentile(_ samples: [Duration], _ fraction: Double) -> Duration {
        BenchFigures.percentile(samples, fraction)
    }

    private func format(_ duration: Duration) -> String { BenchFigures.format(duration) }
}
