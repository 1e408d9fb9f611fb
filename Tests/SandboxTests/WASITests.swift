import Sandbox
import SandboxTesting
import Testing

/// WASI preview 1 in the monitor's checked layer.
@Suite("WASI layer")
struct WASITests {
    let harness = SandboxHarness.self
    static let files = ["data/a.txt": Array("hello file".utf8)]

    func errno(_ wat: String, grants: Grants = .none, files: [String: [UInt8]] = [:]) throws -> (InvocationOutcome, Compartment) {
        let image = try harness.image(wat: wat, harness.descriptor(abi: .wasi, grants: grants), files: files)
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        return (compartment.invoke(.init(body: Array("stdin".utf8)), context: harness.context()), compartment)
    }

    static let outOfRange: [(String, String, String)] = [
        ("fd_write", "(param i32 i32 i32 i32) (result i32)", "(i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 40)"),  // iovs
        ("fd_write", "(param i32 i32 i32 i32) (result i32)", "(i32.const 1) (i32.const 0) (i32.const 1) (i32.const 40)"),  // iov buffer (set up below)
        ("fd_write", "(param i32 i32 i32 i32) (result i32)", "(i32.const 1) (i32.const 48) (i32.const 1) (i32.const -4)"),  // nwritten
        ("fd_read", "(param i32 i32 i32 i32) (result i32)", "(i32.const 0) (i32.const 0) (i32.const 1) (i32.const 40)"),
        ("environ_sizes_get", "(param i32 i32) (result i32)", "(i32.const 65534) (i32.const 0)"),
        ("environ_get", "(param i32 i32) (result i32)", "(i32.const 0) (i32.const 65535)"),
        ("args_sizes_get", "(param i32 i32) (result i32)", "(i32.const 0) (i32.const -1)"),
        ("args_get", "(param i32 i32) (result i32)", "(i32.const -4) (i32.const 0)"),
        ("fd_fdstat_get", "(param i32 i32) (result i32)", "(i32.const 1) (i32.const 65530)"),
        ("fd_filestat_get", "(param i32 i32) (result i32)", "(i32.const 1) (i32.const 65500)"),
        ("clock_time_get", "(param i32 i64 i32) (result i32)", "(i32.const 1) (i64.const 0) (i32.const 65533)"),
        ("random_get", "(param i32 i32) (result i32)", "(i32.const 65000) (i32.const 1000)"),
        ("fd_prestat_get", "(param i32 i32) (result i32)", "(i32.const 3) (i32.const 65535)"),
        ("path_open", "(param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)", "(i32.const 3) (i32.const 0) (i32.const 65530) (i32.const 10) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 40)"),
    ]

    @Test(arguments: outOfRange.indices)
    func outOfRangePointerIsABoundsFault(_ index: Int) throws {
        let (name, signature, arguments) = Self.outOfRange[index]
        // An iovec at 0 whose buffer lies past the end of memory, for the fd_write/fd_read cases.
        let setup = "(i32.store (i32.const 0) (i32.const 65530)) (i32.store (i32.const 4) (i32.const 100)) (i32.store (i32.const 48) (i32.const 512)) (i32.store (i32.const 52) (i32.const 1))"
        let (outcome, compartment) = try errno(
            GuestFixtures.wasiCalling(name, signature: signature, arguments: arguments, setup: setup),
            grants: Grants(clock: true, random: true, files: ["data/"]), files: Self.files)
        #expect(outcome.failure?.code == .capabilityFault, "\(name)")
        #expect(outcome.failure?.fault == .bounds, "\(name)")
        #expect(compartment.state == .destroyed)
    }

    func answer(_ outcome: InvocationOutcome) throws -> Int32 {
        let body = try #require(outcome.response?.body)
        try #require(body.count >= 4)
        return body.withUnsafeBytes { Int32(littleEndian: $0.loadUnaligned(as: Int32.self)) }
    }

    @Test func clockAndRandomAreNotCapableUnlessGranted() throws {
        let clock = GuestFixtures.wasiCalling("clock_time_get", signature: "(param i32 i64 i32) (result i32)", arguments: "(i32.const 0) (i64.const 0) (i32.const 40)")
        let random = GuestFixtures.wasiCalling("random_get", signature: "(param i32 i32) (result i32)", arguments: "(i32.const 40) (i32.const 8)")
        #expect(try answer(errno(clock).0) == 76)
        #expect(try answer(errno(random).0) == 76)
        #expect(try answer(errno(clock, grants: Grants(clock: true)).0) == 0)
        #expect(try answer(errno(random, grants: Grants(random: true)).0) == 0)
    }

    @Test func unimplementedCallsAnswerNoSys() throws {
        let wat = GuestFixtures.wasiCalling("sock_accept", signature: "(param i32 i32 i32) (result i32)", arguments: "(i32.const 0) (i32.const 0) (i32.const 40)")
        #expect(try answer(errno(wat).0) == 52)
    }

    @Test func grantedFilesAreReadOnlyUnderTheRoot() throws {
        // path_open(3, "data/a.txt", read) -> fd at 40; fd_read into 1024; write what was read to stdout.
        let wat = """
            (module
              (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
              (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
              (memory (export "memory") 1)
              (data (i32.const 512) "/data/a.txt")
              (func (export "_start")
                (if (call $prestat (i32.const 3) (i32.const 64)) (then unreachable))
                (if (i32.ne (call $prestat (i32.const 4) (i32.const 64)) (i32.const 8)) (then unreachable))
                (if (i32.ne (call $open (i32.const 3) (i32.const 0) (i32.const 512) (i32.const 11) (i32.const 9) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 40)) (i32.const 76)) (then unreachable))
                (if (i32.ne (call $open (i32.const 3) (i32.const 0) (i32.const 512) (i32.const 11) (i32.const 0) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 40)) (i32.const 76)) (then unreachable))
                (if (call $open (i32.const 3) (i32.const 0) (i32.const 512) (i32.const 11) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 40)) (then unreachable))
                (i32.store (i32.const 0) (i32.const 1024))
                (i32.store (i32.const 4) (i32.const 100))
                (if (call $read (i32.load (i32.const 40)) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable))
                (i32.store (i32.const 4) (i32.load (i32.const 8)))
                (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
            """
        let (outcome, _) = try errno(wat, grants: Grants(files: ["data/"]), files: Self.files)
        #expect(outcome.response?.body == Array("hello file".utf8))
    }

    @Test func procExitStatusIsTheExitCode() throws {
        let wat = """
            (module
              (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
              (memory (export "memory") 1)
              (func (export "_start") (call $exit (i32.const 3))))
            """
        let (outcome, compartment) = try errno(wat)
        #expect(outcome.failure?.code == .functionError)
        #expect(outcome.report.exitCode == 3)
        #expect(compartment.state == .sealed)
    }

    @Test func printfHelloFromC() throws {
        let module = try Examples.module(named: "hello")
        let image = try CompartmentImage(module: module, files: [:], descriptor: harness.descriptor(abi: .wasi), intravisor: harness.intravisor)
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        for _ in 0..<3 {
            let outcome = compartment.invoke(.init(), context: harness.context())
            #expect(outcome.response?.body.starts(with: Array("Hello".utf8)) == true)
        }
    }
}
