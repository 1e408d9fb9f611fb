import Egress
import Foundation
import Gateway
import Logging
import Registry
import Sandbox
import SandboxTesting
import Scheduler

/// The real platform behind a test gateway: a registry (SQLite and images) in a temporary folder,
/// the Intravisor monitor, the scheduler over both, and ``SchedulerPlatform`` adapting it.
struct RealPlatform: Sendable {
    let platform: SchedulerPlatform
    let registry: FunctionRegistry
    let directory: String

    /// One monitor for the whole test process: its fuel calibration runs once.
    static let intravisor = Intravisor()

    /// The platform runtimes every test platform has (the JavaScript runtime, built on first use).
    static let runtimes: [GuestRuntime: [UInt8]] = (try? Examples.runtimes()) ?? [:]

    static func make(
        configuration: SchedulerConfiguration = .init(workerThreads: 2, runtimes: RealPlatform.runtimes),
        kvQuota: Int = KeyValueRules.defaultQuotaBytes
    ) async throws -> RealPlatform {
        let directory = NSTemporaryDirectory() + "faas-gateway-\(UUID().uuidString)"
        var logger = Logger(label: "faas.test")
        logger.logLevel = .warning
        let registry = try FunctionRegistry.open(directory: directory, kvQuota: kvQuota, logger: logger)
        let scheduler = Scheduler(
            registry: registry, intravisor: intravisor, configuration: configuration, logger: logger)
        await scheduler.start()
        // Retries come quickly in tests (0.05 s, 0.1 s, …) so that dead letters take no seconds.
        let runner = AsyncRunner(
            scheduler: scheduler, configuration: AsyncConfiguration(retry: RetryPolicy(base: 0.05, cap: 0.2, jitter: 0)),
            logger: logger)
        await runner.start()
        return RealPlatform(
            platform: SchedulerPlatform(scheduler: scheduler, runner: runner, registry: registry), registry: registry,
            directory: directory)
    }

    /// A platform whose guests may make outbound requests, for guests held on a ``Gate``.
    static func withOutbound() async throws -> RealPlatform {
        try await make(
            configuration: SchedulerConfiguration(workerThreads: 2, outbound: CurlClient(), runtimes: RealPlatform.runtimes))
    }

    /// Deploys `name` as a guest that calls `gate` and answers what it answers once opened: it runs,
    /// holding its compartment and slot without burning a core, until the test opens the gate.
    func deployHeld(_ name: String, on gate: Gate, settings: [String] = []) async throws {
        try await deploy(
            name, module: GuestFixtures.wasm(GuestFixtures.heldCall(gate.request)),
            settings: settings + Gate.loopbackGrant)
    }

    /// Removes the data folder (after the gateway has shut the platform down).
    func removeData() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Deploys the built example `name` of `functions/` as it is.
    @discardableResult
    func deploy(example name: String) async throws -> Gateway.DeployResult {
        try await platform.deploy(archive: Examples.archive(named: name))
    }

    /// Deploys `module` as function `name` with the manifest lines `settings` (YAML, one per line).
    @discardableResult
    func deploy(_ name: String, module: [UInt8], abi: String = "iv", settings: [String] = []) async throws
        -> Gateway.DeployResult
    {
        try await platform.deploy(archive: Self.archive(name, module: module, abi: abi, settings: settings))
    }

    /// A `fn.tar.gz` holding `function.yaml`, `NAME.wasm` and `files` (path: contents).
    static func archive(
        _ name: String, module: [UInt8], abi: String = "iv", settings: [String] = [], files: [String: [UInt8]] = [:]
    ) throws -> [UInt8] {
        let manifest =
            (["name: \(name)", "module: \(name).wasm", "abi: \(abi)"] + settings).joined(separator: "\n") + "\n"
        var writer = ArchiveWriter()
        writer.addFile("function.yaml", contents: Array(manifest.utf8))
        writer.addFile("\(name).wasm", contents: module)
        for (path, contents) in files.sorted(by: { $0.key < $1.key }) { writer.addFile(path, contents: contents) }
        return try writer.archive()
    }
}

/// `count` bytes that do not compress (a fixed xorshift sequence).
func incompressibleBytes(_ count: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}

/// Guests for the route tests, in WAT (the examples of `functions/` cover the rest).
enum RouteGuests {
    /// Answers `text`.
    static func constant(_ text: String) throws -> [UInt8] {
        try GuestFixtures.wasm(GuestFixtures.constant(text))
    }

    /// Busy for about `milliseconds` by the monotonic clock (needs `clock: true`), then answers "finally".
    static func busy(milliseconds: Int) throws -> [UInt8] {
        try GuestFixtures.wasm(GuestFixtures.busy(milliseconds: milliseconds, answer: "finally"))
    }

    /// Writes `bytes` bytes of response at once.
    static func large(bytes: Int) throws -> [UInt8] {
        try GuestFixtures.wasm(
            """
            (module
              (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
              (memory (export "memory") \(bytes / 65536 + 1))
              (func (export "iv_main") (result i32)
                (drop (call $write (i32.const 0) (i32.const \(bytes))))
                (i32.const 0)))
            """)
    }
}
