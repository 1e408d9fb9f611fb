import Sandbox
import SandboxTesting
import Testing

/// Every pointer a guest hands the monitor is checked against its data capability before a byte is touched:
/// out of range is a `bounds` fault that ends the invocation and destroys the compartment, never a crash.
@Suite("Hostcall faults")
struct HostcallFaultTests {
    let harness = SandboxHarness.self
    static let files = ["data/a.txt": Array("hello file".utf8), "secret.txt": Array("no".utf8)]
    static let allGrants = Grants(clock: true, random: true, files: ["data/"], invoke: ["other"])
    static let capOpen = #"(import "intravisor" "cap_open" (func $cap_open (param i32 i32) (result i32)))"#
    static let openFile = "(local.set $h (call $cap_open (i32.const 256) (i32.const 10)))"

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let signature: String
        let arguments: String
        var returnsI64 = false
        var setup = ""
        var extraImports = ""
        var testDescription: String { "\(name)(\(arguments))" }
    }

    static let outOfRange: [Case] = [
        Case(name: "request_read", signature: "(param i32 i32 i32) (result i32)", arguments: "(i32.const 65530) (i32.const 10) (i32.const 0)"),
        Case(name: "request_read", signature: "(param i32 i32 i32) (result i32)", arguments: "(i32.const -16) (i32.const 32) (i32.const 0)"),
        Case(name: "response_write", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 65535) (i32.const 2)"),
        // A length past the response limit and past memory: the range is checked first.
        Case(name: "response_write", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 0) (i32.const 0x7fffffff)"),
        Case(name: "response_header", signature: "(param i32 i32 i32 i32) (result i32)", arguments: "(i32.const 0) (i32.const 4) (i32.const -16) (i32.const 32)"),
        Case(name: "response_header", signature: "(param i32 i32 i32 i32) (result i32)", arguments: "(i32.const 70000) (i32.const 4) (i32.const 0) (i32.const 1)"),
        Case(name: "log", signature: "(param i32 i32) (result i32)", arguments: "(i32.const -1) (i32.const 2)"),
        Case(name: "random", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 65000) (i32.const 1000)"),
        Case(name: "cap_open", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 70000) (i32.const 4)"),
        Case(
            name: "cap_read", signature: "(param i32 i32 i32 i64) (result i32)", arguments: "(local.get $h) (i32.const 65535) (i32.const 8) (i64.const 0)",
            setup: openFile, extraImports: capOpen),
        Case(name: "call", signature: "(param i32 i32 i32 i32) (result i32)", arguments: "(i32.const 65536) (i32.const 1) (i32.const 0) (i32.const 0)"),
        Case(name: "call", signature: "(param i32 i32 i32 i32) (result i32)", arguments: "(i32.const 0) (i32.const 5) (i32.const 1) (i32.const -1)"),
    ]

    func run(_ test: Case, grants: Grants = allGrants, handler: (any CallHandler)? = nil) throws -> (InvocationOutcome, Compartment) {
        let wat = GuestFixtures.ivCalling(
            test.name, signature: test.signature, arguments: test.arguments, returnsI64: test.returnsI64, setup: test.setup,
            extraImports: test.extraImports)
        let image = try harness.image(wat: wat, harness.descriptor(grants: grants), files: Self.files)
        let compartment = try Compartment(image: image, id: 1, callHandler: handler)
        return (compartment.invoke(.init(body: Array("body".utf8)), context: harness.context()), compartment)
    }

    func result(_ outcome: InvocationOutcome) throws -> Int64 {
        let body = try #require(outcome.response?.body)
        try #require(body.count == 8)
        return body.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(as: Int64.self)) }
    }

    @Test(arguments: outOfRange)
    func outOfRangePointerIsABoundsFault(_ test: Case) throws {
        let (outcome, compartment) = try run(test, handler: EchoCallHandler())
        #expect(outcome.failure?.code == .capabilityFault)
        #expect(outcome.failure?.fault == .bounds)
        #expect(compartment.state == .destroyed)
    }

    @Test func forgedHandleIsATagFault() throws {
        for name in ["cap_len", "cap_drop", "call_status"] {
            let test = Case(name: name, signature: name == "cap_len" ? "(param i32) (result i64)" : "(param i32) (result i32)", arguments: "(i32.const 77)", returnsI64: name == "cap_len")
            #expect(try run(test).0.failure?.fault == .tag, "\(name)")
        }
    }

    @Test func droppedHandleIsATagFault() throws {
        let test = Case(
            name: "cap_len", signature: "(param i32) (result i64)", arguments: "(local.get $h)", returnsI64: true,
            setup: Self.openFile + "(drop (call $cap_drop (local.get $h)))",
            extraImports: Self.capOpen + #"(import "intravisor" "cap_drop" (func $cap_drop (param i32) (result i32)))"#)
        #expect(try run(test).0.failure?.fault == .tag)
    }

    @Test func wideningRestrictionIsAPermissionFault() throws {
        for arguments in [
            "(local.get $h) (i64.const 0) (i64.const 10) (i32.const 3)",  // adds write
            "(local.get $h) (i64.const 4) (i64.const 10) (i32.const 1)",  // reaches past the end
            "(local.get $h) (i64.const -1) (i64.const 1) (i32.const 1)",  // negative offset
        ] {
            let test = Case(name: "cap_restrict", signature: "(param i32 i64 i64 i32) (result i32)", arguments: arguments, setup: Self.openFile, extraImports: Self.capOpen)
            #expect(try run(test).0.failure?.fault == .permission, "\(arguments)")
        }
    }

    @Test func readingThroughAHandleWithoutReadIsAPermissionFault() throws {
        let test = Case(
            name: "cap_read", signature: "(param i32 i32 i32 i64) (result i32)", arguments: "(local.get $h) (i32.const 512) (i32.const 4) (i64.const 0)",
            setup: Self.openFile + "(local.set $h (call $cap_restrict (local.get $h) (i64.const 0) (i64.const 4) (i32.const 0)))",
            extraImports: Self.capOpen + #"(import "intravisor" "cap_restrict" (func $cap_restrict (param i32 i64 i64 i32) (result i32)))"#)
        #expect(try run(test).0.failure?.fault == .permission)
    }

    @Test func callStatusOfAFileIsATypeFault() throws {
        let test = Case(name: "call_status", signature: "(param i32) (result i32)", arguments: "(local.get $h)", setup: Self.openFile, extraImports: Self.capOpen)
        #expect(try run(test).0.failure?.fault == .type)
    }

    @Test func ungrantedImportsAnswerMinusOne() throws {
        let cases = [
            Case(name: "clock_ns", signature: "(param i32) (result i64)", arguments: "(i32.const 0)", returnsI64: true),
            Case(name: "random", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 0) (i32.const 8)"),
            Case(name: "cap_open", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 256) (i32.const 10)"),
            Case(name: "call", signature: "(param i32 i32 i32 i32) (result i32)", arguments: "(i32.const 256) (i32.const 4) (i32.const 0) (i32.const 0)"),
        ]
        for test in cases {
            let (outcome, compartment) = try run(test, grants: .none, handler: EchoCallHandler())
            #expect(try result(outcome) == -1, "\(test.name)")
            #expect(compartment.state == .sealed)
        }
    }

    @Test func grantedCallsWork() throws {
        let clock = Case(name: "clock_ns", signature: "(param i32) (result i64)", arguments: "(i32.const 1)", returnsI64: true)
        #expect(try result(run(clock).0) > 0)
        let badClock = Case(name: "clock_ns", signature: "(param i32) (result i64)", arguments: "(i32.const 9)", returnsI64: true)
        #expect(try result(run(badClock).0) == -2)
        let missing = Case(name: "cap_open", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 267) (i32.const 11)")
        #expect(try result(run(missing).0) == -2)
        let ungrantedFile = Case(name: "cap_open", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 279) (i32.const 10)")
        #expect(try result(run(ungrantedFile).0) == -2)
        let length = Case(name: "cap_len", signature: "(param i32) (result i64)", arguments: "(local.get $h)", returnsI64: true, setup: Self.openFile, extraImports: Self.capOpen)
        #expect(try result(run(length).0) == 10)
        let read = Case(name: "cap_read", signature: "(param i32 i32 i32 i64) (result i32)", arguments: "(local.get $h) (i32.const 512) (i32.const 100) (i64.const 6)", setup: Self.openFile, extraImports: Self.capOpen)
        #expect(try result(run(read).0) == 4)  // "file": a short read at the end
        let restricted = Case(name: "cap_restrict", signature: "(param i32 i64 i64 i32) (result i32)", arguments: "(local.get $h) (i64.const 2) (i64.const 3) (i32.const 1)", setup: Self.openFile, extraImports: Self.capOpen)
        #expect(try result(run(restricted).0) == 2)  // a new handle
    }

    static let capCallGuest = """
        (module
          (import "intravisor" "call" (func $call (param i32 i32 i32 i32) (result i32)))
          (import "intravisor" "call_status" (func $status (param i32) (result i32)))
          (import "intravisor" "cap_len" (func $len (param i32) (result i64)))
          (import "intravisor" "cap_read" (func $read (param i32 i32 i32 i64) (result i32)))
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (import "intravisor" "response_status" (func $set_status (param i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "otherping")
          (func (export "iv_main") (result i32) (local $h i32) (local $n i32)
            (local.set $h (call $call (i32.const 0) (i32.const 5) (i32.const 5) (i32.const 4)))
            (drop (call $set_status (call $status (local.get $h))))
            (local.set $n (i32.wrap_i64 (call $len (local.get $h))))
            (drop (call $read (local.get $h) (i32.const 100) (local.get $n) (i64.const 0)))
            (drop (call $write (i32.const 100) (local.get $n)))
            (i32.const 0)))
        """

    @Test func capCallsRunThroughTheHandler() throws {
        let wat = Self.capCallGuest
        let image = try harness.image(wat: wat, harness.descriptor(grants: Grants(invoke: ["other"])))
        let compartment = try Compartment(image: image, id: 1, callHandler: EchoCallHandler())
        let response = try #require(compartment.invoke(.init(), context: harness.context()).response)
        #expect(response.status == 202)
        #expect(response.body == Array("other:ping".utf8))
    }

    @Test func callErrorsAreReturnable() throws {
        let notFound = Case(name: "call", signature: "(param i32 i32 i32 i32) (result i32)", arguments: "(i32.const 256) (i32.const 4) (i32.const 0) (i32.const 0)")
        let grants = Grants(invoke: ["data"])
        #expect(try result(run(notFound, grants: grants, handler: EchoCallHandler(mode: .notFound)).0) == -2)
        #expect(try result(run(notFound, grants: grants, handler: EchoCallHandler(mode: .failed)).0) == -4)
        #expect(try result(run(notFound, grants: Grants(invoke: ["other"]), handler: EchoCallHandler()).0) == -1)
    }
}

/// A CAP-Call handler that answers `function:body` with status 202, or fails as told.
struct EchoCallHandler: CallHandler {
    enum Mode: Sendable { case echo, notFound, failed }
    var mode: Mode = .echo

    func call(function: String, body: [UInt8], caller: ImageDescriptor, deadline: ContinuousClock.Instant) -> CallResult {
        switch mode {
        case .echo: .response(InvocationResponse(status: 202, body: Array("\(function):".utf8) + body))
        case .notFound: .notFound
        case .failed: .failed(InvocationFailure(.functionTrap, "callee trapped"))
        }
    }
}

/// A CAP-Call handler that runs the callee for real: a fresh compartment of `image` per call.
struct CompartmentCallHandler: CallHandler {
    let image: CompartmentImage

    func call(function: String, body: [UInt8], caller: ImageDescriptor, deadline: ContinuousClock.Instant) -> CallResult {
        do {
            let callee = try Compartment(image: image, id: 99, callHandler: nil)
            switch callee.invoke(InvocationRequest(body: body), context: InvocationContext(activation: "nested", deadline: deadline)) {
            case .success(let response, _): return .response(response)
            case .failure(let failure, _): return .failed(failure)
            }
        } catch {
            return .failed(error)
        }
    }
}

@Suite("CAP-Calls")
struct CapCallTests {
    @Test func calleeRunsInItsOwnCompartmentWhileTheCallerWaits() throws {
        let harness = SandboxHarness.self
        let callee = try harness.image(wat: GuestFixtures.ivEcho, harness.descriptor(function: "echo"))
        let image = try harness.image(wat: HostcallFaultTests.capCallGuest, harness.descriptor(grants: Grants(invoke: ["other"])))
        let compartment = try Compartment(image: image, id: 1, callHandler: CompartmentCallHandler(image: callee))
        for _ in 0..<3 {
            let response = try #require(compartment.invoke(.init(), context: harness.context()).response)
            #expect(response.status == 201)
            #expect(response.body == Array("ping".utf8))
        }
    }
}
