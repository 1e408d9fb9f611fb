import SandboxTesting
import Testing
import WAT
import WasmKit

@testable import Sandbox

/// Hostile modules through the deploy-time paths: validation and the rewriter must answer every input
/// with a module or a typed error, never a crash, and a rewrite must keep a parseable module parseable.
@Suite struct FuzzModuleTests {
    static let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

    static let validModule: [UInt8] = try! wat2wasm(
        """
        (module
          (import "intravisor" "request_len" (func $request_len (result i32)))
          (import "intravisor" "response_write" (func $response_write (param i32 i32) (result i32)))
          (import "intravisor" "cap_open" (func $cap_open (param i32 i32) (result i32)))
          (memory (export "memory") 1 4)
          (table 2 funcref)
          (global $__stack_pointer (mut i32) (i32.const 65536))
          (global $limit i32 (i32.const 4096))
          (global $count (mut i64) (i64.const 0))
          (func $main (export "iv_main") (result i32)
            (local $n i32)
            global.get $__stack_pointer
            i32.const 16
            i32.sub
            global.set $__stack_pointer
            call $request_len
            local.tee $n
            global.get $limit
            i32.gt_u
            if (result i32)
              i32.const 1
            else
              i32.const 1024
              local.get $n
              call $response_write
              drop
              global.get $count
              i64.const 1
              i64.add
              global.set $count
              i32.const 0
            end)
          (func (export "iv_init") (result i32) i32.const 0)
          (elem (i32.const 0) $main)
          (data (i32.const 1024) "hello, fuzz"))
        """)

    static func randomGrants(_ random: inout SeededGenerator) -> Grants {
        Grants(
            clock: Bool.random(using: &random), random: Bool.random(using: &random),
            files: Bool.random(using: &random) ? ["data/"] : [], invoke: Bool.random(using: &random) ? ["f"] : [])
    }

    /// Runs one input through validation and the rewriter, checking the rewrite's contract.
    ///
    /// - Returns: whether WasmKit parsed the input (so the fuzzer can show it reached past the parser).
    @discardableResult
    static func exercise(_ module: [UInt8], _ random: inout SeededGenerator, seed: UInt64, case number: Int) -> Bool {
        let abi: GuestABI = Bool.random(using: &random) ? .iv : .wasi
        do {
            try ModuleValidation.validate(module: module, abi: abi, grants: randomGrants(&random))
        } catch {
            if error.code != .invalidFunction { Issue.record("case \(number) (seed \(seed)): \(error)") }
        }
        let parsed = try? parseWasm(bytes: module)
        do {
            let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
            // Whatever WasmKit parsed before the rewrite, it parses after it, with exactly the added exports.
            if let parsed {
                guard let rewritten = try? parseWasm(bytes: bytes) else {
                    Issue.record("case \(number) (seed \(seed)): the rewrite broke a parseable module")
                    return true
                }
                #expect(rewritten.exports.map(\.name) == parsed.exports.map(\.name) + exported)
                #expect(rewritten.imports == parsed.imports)
            }
        } catch {
            #expect(error.code == .invalidFunction)
            let reserved = parsed?.exports.contains { $0.name.hasPrefix(ModuleRewriter.reservedGlobalPrefix) } ?? false
            if parsed != nil && !reserved {
                Issue.record("case \(number) (seed \(seed)): refused a module WasmKit parses: \(error)")
            }
        }
        return parsed != nil
    }

    @Test func randomByteStrings() async throws {
        try await onDedicatedThread {
            let seed: UInt64 = 0xC0FF_EE00_2026
            var random = SeededGenerator(seed: seed)
            for number in 0..<10_000 {
                let length = Int.random(in: 0...96, using: &random)
                var module: [UInt8]
                switch number % 3 {
                case 0:
                    module = random.bytes(length)
                case 1:
                    module = Self.header + random.bytes(length)
                default:
                    // Well-framed sections with random ids and contents: gets past the framing into each parser.
                    module = Self.header
                    for _ in 0..<Int.random(in: 1...4, using: &random) {
                        let content = random.bytes(Int.random(in: 0...24, using: &random))
                        module +=
                            [UInt8.random(in: 0...13, using: &random)] + LEB128.encode(UInt32(content.count)) + content
                    }
                }
                Self.exercise(module, &random, seed: seed, case: number)
            }
        }
    }

    @Test func mutationsOfAValidModule() async throws {
        try await onDedicatedThread {
            let seed: UInt64 = 0x5EED_CAFE_2026
            var random = SeededGenerator(seed: seed)
            let valid = Self.validModule
            try ModuleValidation.validate(module: valid, abi: .iv, grants: Grants(files: ["data/"]))
            #expect(try ModuleRewriter.exportingMutableGlobals(valid).exported == ["__cvm_global_0", "__cvm_global_2"])
            var parseable = 0
            for number in 0..<10_000 {
                var module = valid
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    guard !module.isEmpty else { break }
                    let index = Int.random(in: 0..<module.count, using: &random)
                    switch Int.random(in: 0...5, using: &random) {
                    case 0: module[index] ^= UInt8(1) << UInt8.random(in: 0...7, using: &random)
                    case 1: module[index] = UInt8.random(in: .min ... .max, using: &random)
                    case 2: module.insert(UInt8.random(in: .min ... .max, using: &random), at: index)
                    case 3: module.remove(at: index)
                    case 4: module.removeSubrange(index...)
                    default:
                        let end = min(module.count, index + Int.random(in: 1...16, using: &random))
                        module.insert(contentsOf: module[index..<end], at: Int.random(in: 0...module.count, using: &random))
                    }
                }
                if Self.exercise(module, &random, seed: seed, case: number) { parseable += 1 }
            }
            // Enough mutants survive parsing for the rewrite's contract to have been checked on them.
            #expect(parseable > 500, "only \(parseable) of 10,000 mutants parsed")
        }
    }
}
