import Sandbox
import SandboxTesting
import Testing

@testable import Sandbox

/// A compartment that went away cleanly leaves its instance for the next compartment of its module, which
/// makes it hold exactly its own image's initial state.
@Suite struct RecycledInstanceTests {
    /// `iv_init` writes 1 at 100 and sets a mutable global to 42. `iv_main` answers the byte at 100, the
    /// global, the file `data.txt` through a fresh handle (5 bytes), and the byte at 200; then it writes
    /// 0xEE at 100 and 200 and into the global. A request body `grow` grows memory by a page first, `trap`
    /// traps instead.
    static let module = """
        (module
          (import "intravisor" "response_write" (func $response_write (param i32 i32) (result i32)))
          (import "intravisor" "request_len" (func $request_len (result i32)))
          (import "intravisor" "request_read" (func $request_read (param i32 i32 i32) (result i32)))
          (import "intravisor" "cap_open" (func $cap_open (param i32 i32) (result i32)))
          (import "intravisor" "cap_read" (func $cap_read (param i32 i32 i32 i64) (result i32)))
          (memory (export "memory") 1)
          (global $g (mut i32) (i32.const 0))
          (data (i32.const 0) "data.txt")
          (func (export "iv_init") (result i32)
            (i32.store8 (i32.const 100) (i32.const 1))
            (global.set $g (i32.const 42))
            (i32.const 0))
          (func (export "iv_main") (result i32)
            (drop (call $request_read (i32.const 300) (i32.const 4) (i32.const 0)))
            (if (i32.eq (i32.load (i32.const 300)) (i32.const 0x776f7267)) ;; "grow"
              (then (drop (memory.grow (i32.const 1)))))
            (if (i32.eq (i32.load (i32.const 300)) (i32.const 0x70617274)) ;; "trap"
              (then unreachable))
            (i32.store8 (i32.const 64) (i32.load8_u (i32.const 100)))
            (i32.store8 (i32.const 65) (global.get $g))
            (drop (call $cap_read (call $cap_open (i32.const 0) (i32.const 8)) (i32.const 66) (i32.const 5) (i64.const 0)))
            (i32.store8 (i32.const 71) (i32.load8_u (i32.const 200)))
            (i32.store8 (i32.const 100) (i32.const 0xEE))
            (i32.store8 (i32.const 200) (i32.const 0xEE))
            (global.set $g (i32.const 0xEE))
            (drop (call $response_write (i32.const 64) (i32.const 8)))
            (i32.const 0)))
        """

    /// Two functions on one prepared module (as JavaScript functions share the runtime's), each granted
    /// its own `data.txt`.
    static func images(
        state: StatePolicy = .keep, intravisor: Intravisor = SandboxHarness.intravisor
    ) throws -> (PreparedModule, CompartmentImage, CompartmentImage) {
        let prepared = try PreparedModule(GuestFixtures.wasm(module))
        func image(_ function: String, _ file: String) throws -> CompartmentImage {
            try CompartmentImage(
                module: prepared, files: ["data.txt": Array(file.utf8)],
                descriptor: SandboxHarness.descriptor(
                    state: state, grants: Grants(files: ["data.txt"]), function: function),
                intravisor: intravisor)
        }
        return (prepared, try image("alpha", "AAAAA"), try image("beta", "BBBBB"))
    }

    static func answer(_ compartment: Compartment, _ body: String = "") -> InvocationOutcome {
        compartment.invoke(.init(body: Array(body.utf8)), context: SandboxHarness.context())
    }

    static func text(_ outcome: InvocationOutcome) throws -> [UInt8] {
        try #require(outcome.response).body
    }

    /// What a compartment of a function whose file is `file` answers first: its initial state.
    static func initial(_ file: String) -> [UInt8] { [1, 42] + Array(file.utf8) + [0] }

    @Test func anotherFunctionOnTheModuleGetsTheInstanceAndNothingOfThePreviousOne() throws {
        let (prepared, alpha, beta) = try Self.images()
        // Each image's first compartment runs iv_init in a fresh instance; it is kept when they go.
        do {
            let first = try Compartment(image: alpha, id: 1, callHandler: nil)
            let other = try Compartment(image: beta, id: 2, callHandler: nil)
            #expect(!first.isRecycled && !other.isRecycled)
            #expect(try Self.text(Self.answer(first)) == Self.initial("AAAAA"))
            // state: keep: the second invocation sees what the first left.
            #expect(try Self.text(Self.answer(first)) == [0xEE, 0xEE] + Array("AAAAA".utf8) + [0xEE])
        }
        #expect(prepared.recycledInstances == 2)
        // beta's next compartment runs on an instance one of alpha's left dirty, and sees only its own state.
        let recycled = try Compartment(image: beta, id: 3, callHandler: nil)
        #expect(recycled.isRecycled)
        #expect(prepared.recycledInstances == 1)
        #expect(try Self.text(Self.answer(recycled)) == Self.initial("BBBBB"))
        let again = try Compartment(image: alpha, id: 4, callHandler: nil)
        #expect(again.isRecycled)
        #expect(try Self.text(Self.answer(again)) == Self.initial("AAAAA"))
        #expect(prepared.recycledInstances == 0)
    }

    @Test func aResetCompartmentOnARecycledInstanceResetsToItsOwnState() throws {
        let (_, alpha, beta) = try Self.images(state: .reset)
        do {
            let first = try Compartment(image: alpha, id: 1, callHandler: nil)
            _ = Self.answer(first)
            _ = try Compartment(image: beta, id: 2, callHandler: nil)
        }
        let recycled = try Compartment(image: beta, id: 3, callHandler: nil)
        #expect(recycled.isRecycled)
        for _ in 1...3 { #expect(try Self.text(Self.answer(recycled)) == Self.initial("BBBBB")) }
    }

    @Test func aTrappedCompartmentTakesItsInstanceWithIt() throws {
        let (prepared, alpha, _) = try Self.images()
        do {
            let first = try Compartment(image: alpha, id: 1, callHandler: nil)
            #expect(Self.answer(first, "trap").failure?.code == .functionTrap)
            #expect(first.state == .destroyed)
        }
        #expect(prepared.recycledInstances == 0)
        #expect(!(try Compartment(image: alpha, id: 2, callHandler: nil)).isRecycled)
    }

    @Test func anInstanceWhoseMemoryGrewPastTheStateIsNotTaken() throws {
        let (prepared, alpha, _) = try Self.images()
        do {
            let first = try Compartment(image: alpha, id: 1, callHandler: nil)
            #expect(Self.answer(first, "grow").response != nil)
            #expect(first.memoryBytes == 2 * 65536)
        }
        // Kept (it ended cleanly), but memory cannot shrink to the one page the state has.
        #expect(prepared.recycledInstances == 1)
        let next = try Compartment(image: alpha, id: 2, callHandler: nil)
        #expect(!next.isRecycled)
        #expect(next.memoryBytes == 65536)
    }

    @Test func atMostTheConfiguredNumberIsKeptAndZeroTurnsItOff() throws {
        let (prepared, alpha, _) = try Self.images()
        do {
            let compartments = try (1...4).map { try Compartment(image: alpha, id: UInt64($0), callHandler: nil) }
            #expect(compartments.count == 4)
        }
        #expect(prepared.recycledInstances == 2)
        let off = Intravisor(configuration: .init(fuelPerSecond: 1 << 30, recycledInstances: 0))
        let (unshelved, image, _) = try Self.images(intravisor: off)
        #expect(!image.recycles)
        do { _ = try Compartment(image: image, id: 1, callHandler: nil) }
        #expect(unshelved.recycledInstances == 0)
        #expect(!(try Compartment(image: image, id: 2, callHandler: nil)).isRecycled)
    }

    @Test func anInstanceIsRecycledOnlyUnderTheMonitorThatMadeIt() throws {
        let (prepared, alpha, _) = try Self.images()
        let other = Intravisor(configuration: .init(fuelPerSecond: 1 << 30))
        let foreign = try CompartmentImage(
            module: prepared, files: ["data.txt": Array("CCCCC".utf8)],
            descriptor: SandboxHarness.descriptor(state: .keep, grants: Grants(files: ["data.txt"]), function: "gamma"),
            intravisor: other)
        do { _ = try Compartment(image: alpha, id: 1, callHandler: nil) }
        #expect(prepared.recycledInstances == 1)
        // gamma's first compartment runs iv_init, so its state is known; it stays, so the shelf holds
        // only the instance alpha's monitor made.
        let first = try Compartment(image: foreign, id: 1, callHandler: nil)
        let second = try Compartment(image: foreign, id: 2, callHandler: nil)
        #expect(!first.isRecycled && !second.isRecycled)
        #expect(prepared.recycledInstances == 1)
    }

    @Test func aModuleWithoutInitIsRecycledFromAFreshInstancesState() throws {
        // A WASI command: it prints the byte at 100, then sets it to 0xEE (state: keep leaves it so).
        let wat = """
            (module
              (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 100) "a")
              (func (export "_start")
                (i32.store (i32.const 0) (i32.const 100))
                (i32.store (i32.const 4) (i32.const 1))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
                (i32.store8 (i32.const 100) (i32.const 0xEE))))
            """
        let image = try SandboxHarness.image(wat: wat, SandboxHarness.descriptor(abi: .wasi, state: .keep))
        #expect(image.recycles)
        do {
            let first = try Compartment(image: image, id: 1, callHandler: nil)
            #expect(try Self.text(Self.answer(first)) == Array("a".utf8))
            #expect(try Self.text(Self.answer(first)) == [0xEE])
        }
        let recycled = try Compartment(image: image, id: 2, callHandler: nil)
        #expect(recycled.isRecycled)
        #expect(try Self.text(Self.answer(recycled)) == Array("a".utf8))
    }

    @Test func codeThatChangesTablesIsNeverRecycled() throws {
        let wat = """
            (module
              (memory (export "memory") 1)
              (table 1 funcref)
              (func $one)
              (elem declare func $one)
              (func (export "iv_main") (result i32)
                (table.set (i32.const 0) (ref.func $one))
                (i32.const 0)))
            """
        let image = try SandboxHarness.image(wat: wat, SandboxHarness.descriptor())
        #expect(!image.recycles)
    }
}
