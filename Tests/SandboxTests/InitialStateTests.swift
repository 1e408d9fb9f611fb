import Sandbox
import SandboxTesting
import Testing
import WAT
import WasmKit

@testable import Sandbox

/// Compartments after an image's first start from a copy of what `iv_init` left, without running it.
@Suite struct InitialStateTests {
    /// `iv_init` draws 16 random bytes into memory at 64, sets a mutable global to 42, grows memory by
    /// 3 pages and writes 7 at the start of the last one, and opens a CAP-File, keeping its handle at 96.
    /// `iv_main` answers the 16 random bytes, the global, the byte on the last page, the result of
    /// `cap_len` on a fresh handle of that file, and that fresh handle's number.
    static let initializing = """
        (module
          (import "intravisor" "response_write" (func $response_write (param i32 i32) (result i32)))
          (import "intravisor" "random" (func $random (param i32 i32) (result i32)))
          (import "intravisor" "cap_open" (func $cap_open (param i32 i32) (result i32)))
          (import "intravisor" "cap_len" (func $cap_len (param i32) (result i64)))
          (memory (export "memory") 1)
          (global $g (mut i32) (i32.const 0))
          (data (i32.const 0) "data.txt")
          (func (export "iv_init") (result i32)
            (drop (call $random (i32.const 64) (i32.const 16)))
            (global.set $g (i32.const 42))
            (drop (memory.grow (i32.const 3)))
            (i32.store8 (i32.const 196608) (i32.const 7))
            (i32.store (i32.const 96) (call $cap_open (i32.const 0) (i32.const 8)))
            (i32.const 0))
          (func (export "iv_main") (result i32)
            (local $h i32)
            (local.set $h (call $cap_open (i32.const 0) (i32.const 8)))
            (i32.store8 (i32.const 80) (global.get $g))
            (i32.store8 (i32.const 81) (i32.load8_u (i32.const 196608)))
            (i32.store8 (i32.const 82) (i32.wrap_i64 (call $cap_len (local.get $h))))
            (i32.store8 (i32.const 83) (local.get $h))
            (global.set $g (i32.const 0))
            (drop (call $response_write (i32.const 64) (i32.const 20)))
            (i32.const 0)))
        """

    static let files = ["data.txt": Array("hello".utf8)]

    static func image(copies: Bool = true, state: StatePolicy = .reset) throws -> CompartmentImage {
        let intravisor = copies ? SandboxHarness.intravisor : Intravisor(configuration: .init(initialStateCopies: false))
        return try SandboxHarness.image(
            wat: initializing,
            SandboxHarness.descriptor(state: state, grants: Grants(random: true, files: ["data.txt"])),
            files: files, intravisor: intravisor)
    }

    static func answer(_ compartment: Compartment) throws -> [UInt8] {
        try #require(compartment.invoke(.init(), context: SandboxHarness.context()).response).body
    }

    @Test func laterCompartmentsStartFromTheFirstOnesState() throws {
        let image = try Self.image()
        #expect(image.initialization == .copied)
        #expect(image.initialState == nil)
        let first = try Compartment(image: image, id: 1, callHandler: nil)
        #expect(image.initialState != nil)
        let second = try Compartment(image: image, id: 2, callHandler: nil)
        let third = try Compartment(image: image, id: 3, callHandler: nil)
        let answers = try [first, second, third].map(Self.answer)
        // The random bytes are the ones the first compartment's iv_init drew: it ran once.
        #expect(answers[1] == answers[0])
        #expect(answers[2] == answers[0])
        #expect(answers[0][0..<16].contains { $0 != 0 })
        // The global, the grown memory and the file came through; the fresh handle is 2 everywhere, since
        // handle 1 was issued (and dropped) in iv_init and is never issued again.
        #expect(Array(answers[0][16..<20]) == [42, 7, 5, 2])
        #expect(second.memoryBytes == 4 * 65536)
        // Every compartment resets to the copied state: the global is 42 again after iv_main zeroed it
        // (the fresh handle is 3: a table never issues a handle twice).
        #expect(try Self.answer(second) == Array(answers[0].dropLast()) + [3])
    }

    @Test func withoutCopiesEveryCompartmentRunsInitItself() throws {
        let image = try Self.image(copies: false)
        #expect(image.initialization == .rerun("copies of the initial state are turned off"))
        let first = try Self.answer(Compartment(image: image, id: 1, callHandler: nil))
        let second = try Self.answer(Compartment(image: image, id: 2, callHandler: nil))
        #expect(first[0..<16] != second[0..<16])
        #expect(Array(first[16..<20]) == [42, 7, 5, 2])
        #expect(Array(second[16..<20]) == [42, 7, 5, 2])
        #expect(image.initialState == nil)
    }

    @Test func aKeptStateCompartmentStartsFromTheCopyToo() throws {
        let image = try Self.image(state: .keep)
        let first = try Compartment(image: image, id: 1, callHandler: nil)
        let second = try Compartment(image: image, id: 2, callHandler: nil)
        let answer = try Self.answer(second)
        #expect(answer == (try Self.answer(first)))
        // state: keep: iv_main set the global to 0 and nothing restores it.
        #expect(try Self.answer(second)[16] == 0)
    }

    @Test func aHandleKeptFromInitIsStaleInACopiedCompartment() throws {
        let wat = """
            (module
              (import "intravisor" "cap_open" (func $cap_open (param i32 i32) (result i32)))
              (import "intravisor" "cap_len" (func $cap_len (param i32) (result i64)))
              (memory (export "memory") 1)
              (data (i32.const 0) "data.txt")
              (func (export "iv_init") (result i32)
                (i32.store (i32.const 96) (call $cap_open (i32.const 0) (i32.const 8)))
                (i32.const 0))
              (func (export "iv_main") (result i32)
                (drop (call $cap_len (i32.load (i32.const 96))))
                (i32.const 0)))
            """
        let image = try SandboxHarness.image(
            wat: wat, SandboxHarness.descriptor(grants: Grants(files: ["data.txt"])), files: Self.files)
        for id in 1...2 {
            let outcome = try Compartment(image: image, id: UInt64(id), callHandler: nil)
                .invoke(.init(), context: SandboxHarness.context())
            #expect(outcome.failure?.fault == .tag, "compartment \(id)")
        }
    }

    @Test func codeThatChangesTablesKeepsRunningInit() throws {
        let wat = """
            (module
              (import "intravisor" "response_write" (func $response_write (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (table 2 funcref)
              (func $one (result i32) (i32.const 1))
              (elem declare func $one)
              (func (export "iv_init") (result i32)
                (table.set (i32.const 0) (ref.func $one))
                (i32.const 0))
              (func (export "iv_main") (result i32)
                (i32.store8 (i32.const 0) (call_indirect (result i32) (i32.const 0)))
                (drop (call $response_write (i32.const 0) (i32.const 1)))
                (i32.const 0)))
            """
        let image = try SandboxHarness.image(wat: wat, SandboxHarness.descriptor())
        #expect(image.initialization == .rerun("the module's code changes instance state a copy would miss (table.set)"))
        for id in 1...2 {
            let compartment = try Compartment(image: image, id: UInt64(id), callHandler: nil)
            #expect(try Self.answer(compartment) == [1])
        }
    }

    @Test func modulesWithoutInitHaveNothingToCopy() throws {
        let image = try SandboxHarness.image(
            wat: """
                (module (memory (export "memory") 1) (func (export "iv_main") (result i32) (i32.const 0)))
                """, SandboxHarness.descriptor())
        #expect(image.initialization == .none)
        let wasi = try SandboxHarness.image(
            wat: """
                (module (memory (export "memory") 1) (func (export "_start")))
                """, SandboxHarness.descriptor(abi: .wasi))
        #expect(wasi.initialization == .none)
    }

    @Test func aFailingInitNamesWhatItLogged() throws {
        let wat = """
            (module
              (import "intravisor" "log" (func $log (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "index.js:3: SyntaxError: unexpected token\\n  at index.js:3\\n")
              (func (export "iv_init") (result i32)
                (drop (call $log (i32.const 0) (i32.const 58)))
                (i32.const 1))
              (func (export "iv_main") (result i32) (i32.const 0)))
            """
        let image = try SandboxHarness.image(wat: wat, SandboxHarness.descriptor())
        #expect(throws: InvocationFailure(.functionError, "iv_init returned 1: index.js:3: SyntaxError: unexpected token")) {
            try Compartment(image: image, id: 1, callHandler: nil)
        }
        // Nothing was kept: the next compartment runs iv_init again, and fails the same way.
        #expect(image.initialState == nil)
        #expect(throws: InvocationFailure.self) { try Compartment(image: image, id: 2, callHandler: nil) }
    }

    @Test func initStopsAtAHostcallAfterItsDeadlineWhichDefaultsToTheTimeout() throws {
        let wat = """
            (module
              (import "intravisor" "log" (func $log (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 0) "ready")
              (func (export "iv_init") (result i32)
                (drop (call $log (i32.const 0) (i32.const 5)))
                (i32.const 0))
              (func (export "iv_main") (result i32) (i32.const 0)))
            """
        let image = try SandboxHarness.image(wat: wat, SandboxHarness.descriptor(limits: CompartmentLimits(timeout: .seconds(30))))
        #expect(throws: InvocationFailure(.timeout, "the invocation passed its deadline")) {
            try Compartment(image: image, id: 1, services: HostServices(), initDeadline: .now - .seconds(1))
        }
        #expect(image.initialState == nil)
        // By default the deadline is the timeout from now: the same guest is created.
        let created = try Compartment(image: image, id: 2, services: HostServices())
        #expect(created.image.initialState != nil)
    }

    @Test func everyExampleWithInitIsCopied() throws {
        // C compiled by clang never changes its tables: each example with iv_init starts from copies.
        let module = try Examples.module(named: "init-cache")
        let image = try CompartmentImage(
            module: module, files: [:], descriptor: SandboxHarness.descriptor(), intravisor: SandboxHarness.intravisor)
        #expect(image.initialization == .copied)
    }
}

/// The function the rewriter adds so the monitor can grow a fresh instance's memory.
@Suite struct MemoryGrowRewriteTests {
    static func grow(_ instance: Instance, pages: Int32) throws -> [Value] {
        let grow = try #require(instance.exports[function: ModuleRewriter.memoryGrowExport])
        return try grow([.i32(UInt32(bitPattern: pages))])
    }

    @Test func growsMemoryAndKeepsEveryIndex() throws {
        let module = try wat2wasm(
            """
            (module
              (import "env" "f" (func $f (result i32)))
              (memory (export "memory") 1 8)
              (table 1 funcref)
              (elem (i32.const 0) $two)
              (func $two (result i32) (i32.const 2))
              (func (export "both") (result i32)
                (i32.add (call $f) (call_indirect (result i32) (i32.const 0)))))
            """)
        let (bytes, export) = try ModuleRewriter.addingMemoryGrow(module)
        #expect(export == ModuleRewriter.memoryGrowExport)
        let instance = try RewriteTests.instantiate(bytes) { store in
            var imports = Imports()
            imports.define(module: "env", name: "f", Function(store: store, parameters: [], results: [.i32]) { _, _ in [.i32(40)] })
            return imports
        }
        #expect(try instance.exports[function: "both"]?() == [.i32(42)])
        #expect(try Self.grow(instance, pages: 3) == [.i32(1)])
        #expect(instance.exports[memory: "memory"]?.byteCount == 4 * 65536)
        #expect(try Self.grow(instance, pages: 5) == [.i32(UInt32.max)])  // past the module's maximum of 8
        // Rewriting again changes nothing.
        #expect(try ModuleRewriter.addingMemoryGrow(bytes).bytes == bytes)
    }

    @Test func addsAnExportSectionWhenThereIsNone() throws {
        let module = try wat2wasm("(module (memory 1) (func $f))")
        let (bytes, export) = try ModuleRewriter.addingMemoryGrow(module)
        #expect(export != nil)
        let instance = try RewriteTests.instantiate(bytes)
        #expect(try Self.grow(instance, pages: 1) == [.i32(1)])
    }

    @Test func aModuleWithoutMemoryOrFunctionsIsLeftAlone() throws {
        for wat in ["(module (func $f))", "(module (memory 1))"] {
            let module = try wat2wasm(wat)
            let rewritten = try ModuleRewriter.addingMemoryGrow(module)
            #expect(rewritten.bytes == module)
            #expect(rewritten.export == nil)
        }
    }

    @Test func theReservedNameCannotBeAnythingElse() throws {
        let module = try wat2wasm(#"(module (memory 1) (global (export "__cvm_memory_grow") i32 (i32.const 0)))"#)
        #expect(throws: SandboxError.self) { try ModuleRewriter.addingMemoryGrow(module) }
    }
}
