import Sandbox
import SandboxTesting
import Testing

/// 10,000 random argument tuples thrown at the hostcalls: every outcome is typed, the host never crashes,
/// and a compartment survives exactly when no fault, trap or limit ended its invocation.
@Suite("Hostcalls under random arguments")
struct HostcallRandomArgumentTests {
    let harness = SandboxHarness.self

    /// A guest that reads its arguments from the request body (8 bytes each at 1024 + 8i) and calls `name`.
    static func guest(_ name: String, module: String, parameters: [String], result: String?, abi: GuestABI) -> String {
        let loads = parameters.enumerated().map { index, type in
            "(\(type).load (i32.const \(1024 + 8 * index)))"
        }.joined(separator: " ")
        let signature = "(param \(parameters.joined(separator: " ")))" + (result.map { " (result \($0))" } ?? "")
        let call = "(call $target \(loads))"
        if abi == .iv {
            return """
                (module
                  (import "intravisor" "request_read" (func $request_read (param i32 i32 i32) (result i32)))
                  (import "\(module)" "\(name)" (func $target \(signature)))
                  (memory (export "memory") 1)
                  (data (i32.const 0) "data/a.txt")
                  (func (export "iv_main") (result i32)
                    (drop (call $request_read (i32.const 1024) (i32.const \(8 * parameters.count)) (i32.const 0)))
                    \(result == nil ? call : "(drop \(call))")
                    (i32.const 0)))
                """
        }
        return """
            (module
              (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
              (import "\(module)" "\(name)" (func $target \(signature)))
              (memory (export "memory") 1)
              (data (i32.const 0) "data/a.txt")
              (func (export "_start")
                (i32.store (i32.const 512) (i32.const 1024))
                (i32.store (i32.const 516) (i32.const \(8 * parameters.count)))
                (drop (call $fd_read (i32.const 0) (i32.const 512) (i32.const 1) (i32.const 520)))
                \(result == nil ? call : "(drop \(call))")))
            """
    }

    static let targets: [(name: String, module: String, parameters: [String], result: String?, abi: GuestABI)] = [
        ("request_read", "intravisor", ["i32", "i32", "i32"], "i32", .iv),
        ("response_write", "intravisor", ["i32", "i32"], "i32", .iv),
        ("response_status", "intravisor", ["i32"], "i32", .iv),
        ("response_header", "intravisor", ["i32", "i32", "i32", "i32"], "i32", .iv),
        ("log", "intravisor", ["i32", "i32"], "i32", .iv),
        ("clock_ns", "intravisor", ["i32"], "i64", .iv),
        ("random", "intravisor", ["i32", "i32"], "i32", .iv),
        ("cap_open", "intravisor", ["i32", "i32"], "i32", .iv),
        ("cap_len", "intravisor", ["i32"], "i64", .iv),
        ("cap_read", "intravisor", ["i32", "i32", "i32", "i64"], "i32", .iv),
        ("cap_restrict", "intravisor", ["i32", "i64", "i64", "i32"], "i32", .iv),
        ("cap_drop", "intravisor", ["i32"], "i32", .iv),
        ("call", "intravisor", ["i32", "i32", "i32", "i32"], "i32", .iv),
        ("call_status", "intravisor", ["i32"], "i32", .iv),
        ("fd_write", "wasi_snapshot_preview1", ["i32", "i32", "i32", "i32"], "i32", .wasi),
        ("fd_read", "wasi_snapshot_preview1", ["i32", "i32", "i32", "i32"], "i32", .wasi),
        ("fd_seek", "wasi_snapshot_preview1", ["i32", "i64", "i32", "i32"], "i32", .wasi),
        ("environ_get", "wasi_snapshot_preview1", ["i32", "i32"], "i32", .wasi),
        ("args_sizes_get", "wasi_snapshot_preview1", ["i32", "i32"], "i32", .wasi),
        ("fd_fdstat_get", "wasi_snapshot_preview1", ["i32", "i32"], "i32", .wasi),
        ("fd_filestat_get", "wasi_snapshot_preview1", ["i32", "i32"], "i32", .wasi),
        ("fd_prestat_dir_name", "wasi_snapshot_preview1", ["i32", "i32", "i32"], "i32", .wasi),
        ("path_open", "wasi_snapshot_preview1", ["i32", "i32", "i32", "i32", "i32", "i64", "i64", "i32", "i32"], "i32", .wasi),
        ("clock_time_get", "wasi_snapshot_preview1", ["i32", "i64", "i32"], "i32", .wasi),
        ("random_get", "wasi_snapshot_preview1", ["i32", "i32"], "i32", .wasi),
        ("proc_exit", "wasi_snapshot_preview1", ["i32"], nil, .wasi),
    ]

    /// A value that is often near an edge: 0, small, around the end of one page, or anything at all.
    static func value(_ generator: inout some RandomNumberGenerator) -> UInt64 {
        switch UInt8.random(in: 0..<6, using: &generator) {
        case 0: 0
        case 1: UInt64.random(in: 0..<16, using: &generator)
        case 2: UInt64.random(in: 65_000..<66_000, using: &generator)
        case 3: UInt64(UInt32.max) - UInt64.random(in: 0..<64, using: &generator)
        case 4: UInt64.random(in: 0..<4096, using: &generator)
        default: UInt64.random(in: 0...UInt64.max, using: &generator)
        }
    }

    @Test func tenThousandRandomTuplesNeverCrashTheHost() async throws {
        try await onDedicatedThread {
            var generator = SystemRandomNumberGenerator()
            let grants = Grants(clock: true, random: true, files: ["data/"], invoke: ["data/a.txt"])
            let files = ["data/a.txt": Array("hello file".utf8)]
            let perTarget = 10_000 / Self.targets.count + 1
            var outcomes = 0
            for target in Self.targets {
                let wat = Self.guest(target.name, module: target.module, parameters: target.parameters, result: target.result, abi: target.abi)
                let image = try harness.image(wat: wat, harness.descriptor(abi: target.abi, grants: grants), files: files)
                var compartment = try Compartment(image: image, id: 1, callHandler: EchoCallHandler())
                for _ in 0..<perTarget {
                    var body: [UInt8] = []
                    for _ in target.parameters {
                        withUnsafeBytes(of: Self.value(&generator).littleEndian) { body += $0 }
                    }
                    let outcome = compartment.invoke(InvocationRequest(body: body), context: harness.context())
                    outcomes += 1
                    switch outcome {
                    case .success:
                        #expect(compartment.state == .sealed)
                    case .failure(let failure, _):
                        let allowed: Set<InvocationFailure.Code> = [.capabilityFault, .responseTooLarge, .functionError]
                        #expect(allowed.contains(failure.code), "\(target.name): \(failure)")
                        #expect((failure.code == .capabilityFault) == (failure.fault != nil))
                        if failure.code == .functionError {
                            #expect(compartment.state == .sealed)
                        } else {
                            #expect(compartment.state == .destroyed)
                        }
                    }
                    if compartment.state == .destroyed {
                        compartment = try Compartment(image: image, id: 1, callHandler: EchoCallHandler())
                    }
                }
            }
            #expect(outcomes >= 10_000)
        }
    }
}
