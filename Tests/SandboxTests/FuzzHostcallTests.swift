import SandboxTesting
import Testing
import WasmKit

@testable import Sandbox

/// Random argument tuples through every hostcall of both ABIs, against live compartments: the host must
/// answer each with a value, a typed capability fault or a trap, never a crash, and a fault or trap must
/// destroy the compartment.
///
/// One guest per ABI imports every hostcall. The request (stdin under `wasi`) carries a tuple: a hostcall
/// selector, a mask of the arguments to replace with a live handle (an open CAP-File handle or file
/// descriptor, so the handle paths are reached), and nine 64-bit arguments. The guest calls the selected
/// hostcall with them and answers the result as 8 bytes.
@Suite struct FuzzHostcallTests {
    static let tupleAddress = 60_000
    static let files = ["data/a.txt": Array("hello file".utf8), "data/b.bin": (0..<300).map { UInt8($0 & 0xFF) }]
    static let grants = Grants(clock: true, random: true, files: ["data/"], invoke: ["other"])

    struct Hostcall {
        let name: String
        let type: FunctionType
    }

    /// Answers CAP-Calls to `other` with a small response and any other name with not found.
    struct FuzzCallHandler: CallHandler {
        func call(function: String, body: [UInt8], caller: ImageDescriptor, deadline: ContinuousClock.Instant)
            -> CallResult
        {
            function == "other"
                ? .response(InvocationResponse(status: 200, headers: [], body: Array(body.prefix(64)))) : .notFound
        }
    }

    static func watType(_ type: ValueType) -> String { type == .i64 ? "i64" : "i32" }

    /// The dispatcher guest for `hostcalls`; `prologue` reads the tuple and opens the handle into `$h`.
    static func guest(
        module: String, hostcalls: [Hostcall], entry: String, prologue: String, epilogue: String
    ) -> String {
        var text = "(module\n"
        for (index, call) in hostcalls.enumerated() {
            let parameters = call.type.parameters.map(watType).joined(separator: " ")
            let results = call.type.results.map(watType).joined(separator: " ")
            text +=
                "(import \"\(module)\" \"\(call.name)\" (func $h\(index) (param \(parameters)) (result \(results))))\n"
        }
        // One small wrapper per hostcall behind call_indirect: WasmKit translates functions lazily, per
        // instance, so each fresh compartment translates only the wrappers it calls.
        text += """
            (type $wrapper (func (param i32) (result i64)))
            (memory (export "memory") 1)
            (table \(hostcalls.count) funcref)
            (data (i32.const 256) "data/a.txt")
            (func $arg (param $i i32) (param $h i32) (result i64)
              (if (result i64)
                (i32.and (i32.load (i32.const \(tupleAddress + 4))) (i32.shl (i32.const 1) (local.get $i)))
                (then (i64.extend_i32_s (local.get $h)))
                (else (i64.load (i32.add (i32.const \(tupleAddress + 8)) (i32.shl (local.get $i) (i32.const 3)))))))

            """
        for (index, call) in hostcalls.enumerated() {
            let arguments = call.type.parameters.enumerated().map { position, type in
                let value = "(call $arg (i32.const \(position)) (local.get $h))"
                return type == .i64 ? value : "(i32.wrap_i64 \(value))"
            }.joined(separator: " ")
            let invocation = "(call $h\(index) \(arguments))"
            let result: String
            switch call.type.results.first {
            case .none: result = "\(invocation) (i64.const 0)"
            case .some(.i64): result = invocation
            default: result = "(i64.extend_i32_s \(invocation))"
            }
            text += "(func $w\(index) (param $h i32) (result i64) \(result))\n"
        }
        text += "(elem (i32.const 0) " + hostcalls.indices.map { "$w\($0)" }.joined(separator: " ") + ")\n"
        text += """
            (func (export "\(entry)") \(entry == "iv_main" ? "(result i32)" : "") (local $h i32)
            \(prologue)
            (i64.store (i32.const 60100)
              (call_indirect (type $wrapper) (local.get $h) (i32.load (i32.const \(tupleAddress)))))
            \(epilogue)))

            """
        return text
    }

    /// Arguments that reach the interesting paths: in-range pointers and lengths, the edges of memory and of
    /// the integer types, tiny handles and descriptors, and anything at all.
    static func argument(_ random: inout SeededGenerator) -> UInt64 {
        let edges: [Int64] = [
            0, 1, 2, 3, 4, 5, -1, -2, -3, 255, 256, 65_535, 65_536, 65_537, 60_000, Int64(Int32.max), Int64(Int32.min),
            .max, .min,
        ]
        switch Int.random(in: 0...9, using: &random) {
        case 0...2: return UInt64.random(in: 0...64, using: &random)
        case 3...4: return UInt64.random(in: 0...65_536, using: &random)
        case 5...6: return UInt64(bitPattern: edges[Int.random(in: 0..<edges.count, using: &random)])
        case 7: return UInt64(UInt32.random(in: .min ... .max, using: &random))
        default: return UInt64.random(in: .min ... .max, using: &random)
        }
    }

    static func tuple(selector: Int, _ random: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
        }
        append(UInt32(selector))
        append(UInt32(Int.random(in: 0...3, using: &random) == 0 ? UInt32.random(in: 0...0x1FF, using: &random) : 0))
        for _ in 0..<9 { append(argument(&random)) }
        return bytes
    }

    struct Tally {
        var values = 0, traps = 0, errors = 0, limits = 0, compartments = 0
        var faults: [FaultKind: Int] = [:]
        var called: Set<String> = []
    }

    /// Runs `count` random tuples through `image`'s guest and checks every outcome.
    static func fuzz(image: CompartmentImage, hostcalls: [Hostcall], count: Int, seed: UInt64) throws -> Tally {
        var random = SeededGenerator(seed: seed)
        var tally = Tally()
        var compartment: Compartment?
        for number in 0..<count {
            if compartment == nil || compartment?.state == .destroyed {
                tally.compartments += 1
                compartment = try Compartment(image: image, id: UInt64(number + 1), callHandler: FuzzCallHandler())
            }
            guard let live = compartment else { return tally }
            let selector = Int.random(in: 0..<hostcalls.count, using: &random)
            let body = tuple(selector: selector, &random)
            tally.called.insert(hostcalls[selector].name)
            let outcome = live.invoke(
                InvocationRequest(body: body), context: SandboxHarness.context(timeout: .seconds(30)))
            let label = "case \(number) (seed \(seed)) \(hostcalls[selector].name)"
            switch outcome {
            case .success:
                tally.values += 1
                #expect(live.state == .sealed, "\(label): not resealed after a value")
            case .failure(let failure, _):
                switch failure.code {
                case .capabilityFault:
                    if let kind = failure.fault {
                        tally.faults[kind, default: 0] += 1
                    } else {
                        Issue.record("\(label): capability_fault without a kind")
                    }
                    #expect(live.state == .destroyed, "\(label): a faulting compartment was kept")
                case .functionTrap:
                    tally.traps += 1
                    #expect(live.state == .destroyed, "\(label): a trapping compartment was kept")
                case .functionError:
                    tally.errors += 1  // a non-zero exit status (proc_exit) or a response the guest malformed
                case .responseTooLarge:
                    tally.limits += 1  // a limit ends the invocation and destroys the compartment, like a fault
                    #expect(live.state == .destroyed, "\(label): a compartment past its limit was kept")
                default:
                    Issue.record("\(label): unexpected outcome \(failure)")
                    live.destroy()
                }
            }
        }
        return tally
    }

    @Test func intravisorHostcalls() async throws {
        try await onDedicatedThread {
            let hostcalls = HostcallSignatures.intravisor.keys.sorted().map {
                Hostcall(name: $0, type: HostcallSignatures.intravisor[$0]!)
            }
            func index(_ name: String) -> Int { hostcalls.firstIndex { $0.name == name }! }
            let wat = Self.guest(
                module: "intravisor", hostcalls: hostcalls, entry: "iv_main",
                prologue: """
                    (drop (call $h\(index("request_read")) (i32.const \(Self.tupleAddress)) (i32.const 80) (i32.const 0)))
                    (local.set $h (call $h\(index("cap_open")) (i32.const 256) (i32.const 10)))
                    """,
                epilogue: """
                    (drop (call $h\(index("response_write")) (i32.const 60100) (i32.const 8)))
                    (i32.const 0)
                    """)
            let image = try CompartmentImage(
                module: GuestFixtures.wasm(wat), files: Self.files,
                descriptor: SandboxHarness.descriptor(grants: Self.grants), intravisor: SandboxHarness.intravisor)
            let tally = try Self.fuzz(image: image, hostcalls: hostcalls, count: 10_000, seed: 0x1A7A_2026)
            print("intravisor hostcall fuzz: \(tally)")
            #expect(tally.called == Set(hostcalls.map(\.name)))
            #expect(tally.values > 1000, "\(tally)")
            #expect(tally.faults[.bounds, default: 0] > 0 && tally.faults[.tag, default: 0] > 0, "\(tally)")
            #expect(tally.faults[.permission, default: 0] > 0, "\(tally)")
        }
    }

    @Test func wasiHostcalls() async throws {
        try await onDedicatedThread {
            let hostcalls = HostcallSignatures.wasi.keys.sorted().map {
                Hostcall(name: $0, type: HostcallSignatures.wasi[$0]!)
            }
            func index(_ name: String) -> Int { hostcalls.firstIndex { $0.name == name }! }
            let wat = Self.guest(
                module: "wasi_snapshot_preview1", hostcalls: hostcalls, entry: "_start",
                prologue: """
                    (i32.store (i32.const 59000) (i32.const \(Self.tupleAddress)))
                    (i32.store (i32.const 59004) (i32.const 80))
                    (drop (call $h\(index("fd_read")) (i32.const 0) (i32.const 59000) (i32.const 1) (i32.const 59008)))
                    (drop (call $h\(index("path_open")) (i32.const 3) (i32.const 0) (i32.const 256) (i32.const 10)
                      (i32.const 0) (i64.const 6) (i64.const 0) (i32.const 0) (i32.const 59016)))
                    (local.set $h (i32.load (i32.const 59016)))
                    """,
                epilogue: """
                    (i32.store (i32.const 59000) (i32.const 60100))
                    (i32.store (i32.const 59004) (i32.const 8))
                    (drop (call $h\(index("fd_write")) (i32.const 1) (i32.const 59000) (i32.const 1) (i32.const 59008)))
                    """)
            let image = try CompartmentImage(
                module: GuestFixtures.wasm(wat), files: Self.files,
                descriptor: SandboxHarness.descriptor(abi: .wasi, grants: Self.grants),
                intravisor: SandboxHarness.intravisor)
            let tally = try Self.fuzz(image: image, hostcalls: hostcalls, count: 10_000, seed: 0x3A51_2026)
            print("WASI hostcall fuzz: \(tally)")
            #expect(tally.called == Set(hostcalls.map(\.name)))
            #expect(tally.values > 1000, "\(tally)")
            #expect(tally.faults[.bounds, default: 0] > 0, "\(tally)")
            #expect(tally.errors > 0, "proc_exit with a non-zero status never came up: \(tally)")
        }
    }
}
