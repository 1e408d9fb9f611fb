import Foundation
import Logging
import Registry
import Sandbox
import SandboxTesting
import Scheduler
import WAT

/// A scheduler over a real registry in a temporary folder, deploying real modules built from WAT.
final class SchedulerHarness: Sendable {
    let directory: String
    let registry: FunctionRegistry
    let scheduler: Scheduler
    let clock: ManualSchedulerClock
    let logger: Logger

    init(configuration: SchedulerConfiguration = .init(workerThreads: 2), intravisor: Intravisor = intravisor) throws {
        directory = NSTemporaryDirectory() + "faas-scheduler-\(UUID().uuidString)"
        var logger = Logger(label: "faas.test")
        logger.logLevel = .warning
        self.logger = logger
        registry = try FunctionRegistry.open(directory: directory, logger: logger)
        clock = ManualSchedulerClock()
        scheduler = Scheduler(
            registry: registry, intravisor: intravisor, configuration: configuration, logger: logger,
            clock: clock)
    }

    /// One monitor for the whole test process: its fuel calibration runs once.
    static let intravisor = Intravisor()

    func close() async {
        await scheduler.shutdown(grace: .seconds(5))
        registry.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Deploys `wat` as function `name` with the manifest lines `settings` (YAML, one per line).
    @discardableResult
    func deploy(_ name: String, wat: String, abi: String = "iv", settings: [String] = []) async throws -> DeployResult {
        let module = try wat2wasm(wat)
        var manifest = "name: \(name)\nmodule: \(name).wasm\nabi: \(abi)\n"
        for line in settings { manifest += line + "\n" }
        var writer = ArchiveWriter()
        writer.addFile("function.yaml", contents: Array(manifest.utf8))
        writer.addFile("\(name).wasm", contents: module)
        return try await scheduler.deploy(archive: try writer.archive())
    }

    func invoke(_ name: String, body: String = "", version: Int? = nil) async -> InvocationAnswer {
        await scheduler.invoke(
            function: name, version: version,
            request: InvocationRequest(method: "POST", path: "", query: "", headers: [], body: Array(body.utf8)))
    }

    /// Waits (bounded) until `condition` holds; background prewarming takes a moment.
    func eventually(attempts: Int = 500, _ condition: () -> Bool) async -> Bool {
        for _ in 0..<attempts {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

/// Guests for scheduling tests, in the Intravisor ABI.
enum Guests {
    /// Answers "ok".
    static let ok = GuestFixtures.constant("ok")

    /// Answers the number of invocations this compartment has served (state: keep makes it grow).
    static let counter = """
        (module
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (global $count (mut i32) (i32.const 0))
          (func (export "iv_main") (result i32)
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            (i32.store8 (i32.const 0) (i32.add (i32.const 48) (global.get $count)))
            (drop (call $write (i32.const 0) (i32.const 1)))
            (i32.const 0)))
        """

    /// Never returns; stopped by its timeout.
    static let spin = """
        (module
          (memory (export "memory") 1)
          (func (export "iv_main") (result i32)
            (loop $forever (br $forever))
            (i32.const 0)))
        """

    /// Logs "started" and then never returns, as `spin`.
    static let logThenSpin = """
        (module
          (import "intravisor" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "started\\n")
          (func (export "iv_main") (result i32)
            (drop (call $log (i32.const 0) (i32.const 8)))
            (loop $forever (br $forever))
            (i32.const 0)))
        """

    /// Hands `log` a range outside its memory: a bounds capability fault.
    static let fault = """
        (module
          (import "intravisor" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "iv_main") (result i32)
            (drop (call $log (i32.const 65530) (i32.const 4096)))
            (i32.const 0)))
        """

    /// Busy for about `milliseconds` by the monotonic clock, then answers "done".
    static func busy(milliseconds: Int) -> String {
        GuestFixtures.busy(milliseconds: milliseconds)
    }
}

extension SchedulerHarness {
    /// Deploys `name` as a guest that calls `gate` and answers what it answers once opened: it
    /// holds its slot until the test opens the gate. The harness needs outbound HTTP
    /// (``OutboundGuestTests/harness(workers:)``).
    func deployHeld(_ name: String, on gate: Gate, settings: [String]) async throws {
        try await deploy(
            name, wat: GuestFixtures.heldCall(gate.request),
            settings: settings + Gate.loopbackGrant)
    }
}
