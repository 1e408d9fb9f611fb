import ArgumentParser
import Foundation
import Sandbox
import SandboxTesting

/// `faas-bench sandbox`: medians of the compartment's hot and cold paths.
struct SandboxBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Module parse, cold and warm invocations, memory per compartment, fuel overhead.",
        discussion: "Example: swift run -c release faas-bench sandbox --runs 2000"
    )

    @Option(help: "Runs per warm measurement (cold ones use a tenth).")
    var runs = 5000

    @Option(help: "Compartments created for the memory measurement.")
    var compartments = 1000

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let intravisor = Intravisor()
        print("calibration: \(intravisor.fuelPerSecond) fuel/s, \(format(start.duration(to: clock.now)))")

        let hello = try Examples.module(named: "hello")
        let noop = try Examples.module(named: "noop")
        let fib = try Examples.module(named: "fib")
        let helloDescriptor = ImageDescriptor(function: "hello", abi: .wasi)
        let noopDescriptor = ImageDescriptor(function: "noop", abi: .iv)
        let fibDescriptor = ImageDescriptor(function: "fib", abi: .iv, limits: .init(timeout: .seconds(60)))
        let coldRuns = max(runs / 10, 20)

        report("module parse (hello image)", try median(coldRuns) {
            _ = try CompartmentImage(module: hello, files: [:], descriptor: helloDescriptor, intravisor: intravisor)
        })
        let helloImage = try CompartmentImage(module: hello, files: [:], descriptor: helloDescriptor, intravisor: intravisor)
        let noopImage = try CompartmentImage(module: noop, files: [:], descriptor: noopDescriptor, intravisor: intravisor)
        let request = InvocationRequest()
        var id: UInt64 = 0

        // Each compartment goes away after its invocation, so the default monitor's next one runs on the
        // recycled instance; the monitor that recycles nothing instantiates afresh each time. Interleaved.
        let fresh = Intravisor(configuration: .init(fuelPerSecond: intravisor.fuelPerSecond, recycledInstances: 0))
        for (name, module, descriptor, count) in [
            ("noop", noop, noopDescriptor, coldRuns), ("hello", hello, helloDescriptor, max(coldRuns / 5, 20)),
        ] {
            let images = try [intravisor, fresh].map { monitor in
                try CompartmentImage(module: module, files: [:], descriptor: descriptor, intravisor: monitor)
            }
            var created: [[Duration]] = [[], []]
            var invoked: [[Duration]] = [[], []]
            var recycled = 0
            for _ in 0..<count {
                for (index, image) in images.enumerated() {
                    id += 1
                    let started = clock.now
                    _ = try Compartment(image: image, id: id, callHandler: nil)
                    created[index].append(started.duration(to: clock.now))
                    id += 1
                    let again = clock.now
                    let compartment = try Compartment(image: image, id: id, callHandler: nil)
                    try check(compartment.invoke(request, context: context()))
                    invoked[index].append(again.duration(to: clock.now))
                    if index == 0, compartment.isRecycled { recycled += 1 }
                }
            }
            func middle(_ samples: [Duration]) -> Duration { samples.sorted()[samples.count / 2] }
            report("cold \(name): create", middle(created[0]), extra: " (\(recycled)/\(count) on a recycled instance)")
            report("cold \(name): create + first invoke", middle(invoked[0]))
            report("cold \(name): create, fresh instance", middle(created[1]))
            report("cold \(name): create + first invoke, fresh instance", middle(invoked[1]))
        }
        // Compartments of an image with iv_init: started from the copy of what the first one's iv_init
        // left (the default) beside running iv_init in each, interleaved so load drifts hit both.
        let initCache = try Examples.module(named: "init-cache")
        let rerunning = Intravisor(configuration: .init(fuelPerSecond: intravisor.fuelPerSecond, initialStateCopies: false))
        let initImages = try [intravisor, rerunning].map { monitor in
            try CompartmentImage(
                module: initCache, files: [:], descriptor: ImageDescriptor(function: "init-cache", abi: .iv),
                intravisor: monitor)
        }
        var initSamples: [[Duration]] = [[], []]
        for _ in 0..<max(coldRuns / 2, 20) {
            for (index, image) in initImages.enumerated() {
                id += 1
                let started = clock.now
                _ = try Compartment(image: image, id: id, callHandler: nil)
                initSamples[index].append(started.duration(to: clock.now))
            }
        }
        let copied = initSamples[0].sorted()[initSamples[0].count / 2]
        let rerun = initSamples[1].sorted()[initSamples[1].count / 2]
        report("cold init-cache: create from the initial state", copied)
        report("cold init-cache: create running iv_init", rerun)
        print(String(format: "initial-state copy: %.1fx faster creation (medians)", Double(rerun.components.attoseconds) / Double(max(copied.components.attoseconds, 1))))

        for (name, image) in [("noop", noopImage), ("hello", helloImage)] {
            id += 1
            let compartment = try Compartment(image: image, id: id, callHandler: nil)
            try check(compartment.invoke(request, context: context()))
            let deadline = context(timeout: .seconds(3600))
            report("warm \(name): invoke + reset", try median(runs) {
                try check(compartment.invoke(request, context: deadline))
            })
        }

        // Memory per warm compartment: RSS before and after `compartments` hello compartments, each invoked once.
        var kept: [Compartment] = []
        kept.reserveCapacity(compartments)
        let before = residentBytes()
        for _ in 0..<compartments {
            id += 1
            let compartment = try Compartment(image: helloImage, id: id, callHandler: nil)
            try check(compartment.invoke(request, context: context()))
            kept.append(compartment)
        }
        let after = residentBytes()
        print(
            "memory per warm hello compartment: \((after - before) / compartments / 1024) KiB "
                + "(RSS +\((after - before) >> 20) MiB over \(compartments), linear memory \(kept[0].memoryBytes / 1024) KiB each)")
        kept.removeAll()

        // Fuel metering overhead on compute: metered and unmetered runs interleaved, so load drifts hit both.
        let unmetered = Intravisor(configuration: .init(fuelPerSecond: intravisor.fuelPerSecond, fuelMetering: false))
        var fibCompartments: [Compartment] = []
        for monitor in [intravisor, unmetered] {
            let image = try CompartmentImage(module: fib, files: [:], descriptor: fibDescriptor, intravisor: monitor)
            id += 1
            let compartment = try Compartment(image: image, id: id, callHandler: nil)
            try check(compartment.invoke(request, context: context(timeout: .seconds(60))))
            fibCompartments.append(compartment)
        }
        let fibRequest = InvocationRequest(body: Array("27".utf8))
        var samples: [[Duration]] = [[], []]
        var fuel: UInt64 = 0
        for _ in 0..<21 {
            for (index, compartment) in fibCompartments.enumerated() {
                let started = clock.now
                let outcome = compartment.invoke(fibRequest, context: context(timeout: .seconds(60)))
                samples[index].append(started.duration(to: clock.now))
                if index == 0 { fuel = outcome.report.fuelUsed }
                try check(outcome)
            }
        }
        let on = samples[0].sorted(), off = samples[1].sorted()
        report("fib(27) fuel on", on[10], extra: ", min \(format(on[0])) (\(fuel) fuel)")
        report("fib(27) fuel off", off[10], extra: ", min \(format(off[0]))")
        func ratio(_ a: Duration, _ b: Duration) -> Double { (Double(a.components.attoseconds) / Double(b.components.attoseconds) - 1) * 100 }
        print(String(format: "fuel metering overhead on fib: %+.1f%% (medians), %+.1f%% (minimums)", ratio(on[10], off[10]), ratio(on[0], off[0])))
    }

    private func context(timeout: Duration = .seconds(30)) -> InvocationContext {
        InvocationContext(activation: "bench", deadline: ContinuousClock.now.advanced(by: timeout))
    }

    private struct BenchmarkFailure: Error { let failure: InvocationFailure }

    private func check(_ outcome: InvocationOutcome) throws {
        if case .failure(let failure, _) = outcome { throw BenchmarkFailure(failure: failure) }
    }

    private func median(_ count: Int, _ body: () throws -> Void) rethrows -> Duration {
        let clock = ContinuousClock()
        var samples: [Duration] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let start = clock.now
            try body()
            samples.append(start.duration(to: clock.now))
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    private func report(_ label: String, _ value: Duration, extra: String = "") {
        print("\(label): \(format(value)) median\(extra)")
    }

    private func format(_ duration: Duration) -> String { BenchFigures.format(duration, decimals: 2) }

    private func residentBytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
