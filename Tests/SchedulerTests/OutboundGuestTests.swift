import Egress
import Foundation
import Registry
import Sandbox
import SandboxTesting
import Scheduler
import Synchronization
import Testing

/// Guests that make outbound requests, for the scheduler's tests.
enum OutboundGuests {
    /// Writes the decimal of a non-negative i32 to the response (scratch at 60000..60020).
    static let number = """
          (func $number (param $v i32)
            (local $p i32)
            (local.set $p (i32.const 60020))
            (loop $digits
              (local.set $p (i32.sub (local.get $p) (i32.const 1)))
              (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
              (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
              (br_if $digits (local.get $v)))
            (drop (call $write (local.get $p) (i32.sub (i32.const 60020) (local.get $p)))))
        """

    /// The request body is the request block; makes the request `times` times (dropping all but the
    /// last response) and answers "STATUS BODY" or "err N" for the last error -N.
    static func probe(times: Int = 1) -> String {
        """
        (module
          (import "intravisor" "request_len" (func $len (result i32)))
          (import "intravisor" "request_read" (func $read (param i32 i32 i32) (result i32)))
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (import "intravisor" "http_request" (func $http (param i32 i32 i32 i32) (result i32)))
          (import "intravisor" "http_status" (func $status (param i32) (result i32)))
          (import "intravisor" "cap_len" (func $caplen (param i32) (result i64)))
          (import "intravisor" "cap_read" (func $capread (param i32 i32 i32 i64) (result i32)))
          (import "intravisor" "cap_drop" (func $drop (param i32) (result i32)))
          (memory (export "memory") 2)
          (data (i32.const 100) "err ")
          \(number)
          (func (export "iv_main") (result i32)
            (local $n i32) (local $rc i32) (local $i i32)
            (local.set $n (call $read (i32.const 1024) (i32.const 8192) (i32.const 0)))
            (loop $again
              (if (i32.gt_s (local.get $rc) (i32.const 0)) (then (drop (call $drop (local.get $rc)))))
              (local.set $rc (call $http (i32.const 1024) (local.get $n) (i32.const 0) (i32.const 0)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const \(times)))))
            (if (i32.lt_s (local.get $rc) (i32.const 0))
              (then
                (drop (call $write (i32.const 100) (i32.const 4)))
                (call $number (i32.sub (i32.const 0) (local.get $rc)))
                (return (i32.const 0))))
            (call $number (call $status (local.get $rc)))
            (drop (call $write (i32.const 100) (i32.const 0)))
            (i32.store8 (i32.const 200) (i32.const 32))
            (drop (call $write (i32.const 200) (i32.const 1)))
            (drop (call $write (i32.const 20000)
              (call $capread (local.get $rc) (i32.const 20000) (i32.wrap_i64 (call $caplen (local.get $rc))) (i64.const 0))))
            (i32.const 0)))
        """
    }

    /// The request body is the request block. Sends it once with a 6 MiB + 1 body (answers that
    /// code), then with none, and answers "BIG MISSING VALUE": the codes of the first request and of
    /// `http_header(x-missing)`, then the value of `CONTENT-TYPE` (asked in capitals).
    static let headers = """
        (module
          (import "intravisor" "request_read" (func $read (param i32 i32 i32) (result i32)))
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (import "intravisor" "http_request" (func $http (param i32 i32 i32 i32) (result i32)))
          (import "intravisor" "http_header" (func $header (param i32 i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 100)
          (data (i32.const 100) "x-missingCONTENT-TYPE ")
          \(number)
          (func (export "iv_main") (result i32)
            (local $n i32) (local $rc i32) (local $len i32)
            (local.set $n (call $read (i32.const 1024) (i32.const 8192) (i32.const 0)))
            (call $number (i32.sub (i32.const 0)
              (call $http (i32.const 1024) (local.get $n) (i32.const 65536) (i32.const 6291457))))
            (drop (call $write (i32.const 121) (i32.const 1)))
            (local.set $rc (call $http (i32.const 1024) (local.get $n) (i32.const 0) (i32.const 0)))
            (call $number (i32.sub (i32.const 0)
              (call $header (local.get $rc) (i32.const 100) (i32.const 9) (i32.const 20000) (i32.const 100))))
            (drop (call $write (i32.const 121) (i32.const 1)))
            (local.set $len (call $header (local.get $rc) (i32.const 109) (i32.const 12) (i32.const 20000) (i32.const 100)))
            (drop (call $write (i32.const 20000) (local.get $len)))
            (i32.const 0)))
        """

    /// Calls http_request with a body range far outside its memory.
    static let outOfBounds = """
        (module
          (import "intravisor" "http_request" (func $http (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "GET http://127.0.0.1:1/")
          (func (export "iv_main") (result i32)
            (drop (call $http (i32.const 0) (i32.const 23) (i32.const 65000) (i32.const 100000)))
            (i32.const 0)))
        """

    /// Spins for a while (no hostcalls): a CPU-bound function.
    static let spin = """
        (module
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "iv_main") (result i32)
            (local $i i32)
            (loop $l
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 100000))))
            (i32.const 0)))
        """
}

@Suite("Outbound HTTP through guests")
struct OutboundGuestTests {
    static func harness(workers: Int = 2) throws -> SchedulerHarness {
        try SchedulerHarness(configuration: SchedulerConfiguration(workerThreads: workers, outbound: CurlClient()))
    }

    static func text(_ answer: InvocationAnswer) throws -> String {
        String(decoding: try answer.result.get().body, as: UTF8.self)
    }

    @Test func aGrantedRequestReachesTheServerAndIsLogged() async throws {
        let server = try LoopbackHTTPServer { request in
            .answer(status: 201, headers: [("X-Seen", request.header("x-probe") ?? "-")], body: Array("pong".utf8))
        }
        defer { server.stop() }
        let harness = try Self.harness()
        defer { Task { await harness.close() } }
        try await harness.deploy(
            "probe", wat: OutboundGuests.probe(), settings: Gate.loopbackGrant)
        let answer = await harness.invoke("probe", body: "GET http://127.0.0.1:\(server.port)/ping?token=secret\nX-Probe: 1")
        #expect(try Self.text(answer) == "201 pong")
        #expect(server.requests.first?.target == "/ping?token=secret")
        #expect(server.requests.first?.header("x-probe") == "1")
        let id = try #require(answer.activation)
        let logs = try await harness.eventuallyRecord(id)?.logs ?? ""
        #expect(logs.contains("http GET http://127.0.0.1:\(server.port)/ping?token=… -> 201 in "))
        #expect(!logs.contains("secret"))
    }

    /// A request body over 6 MiB is -3 and never sent; `http_header` finds the first value of a
    /// name whatever its case, and answers -2 for one that is absent.
    @Test func bodyLimitAndResponseHeaders() async throws {
        let server = try LoopbackHTTPServer { _ in
            .answer(status: 200, headers: [("Content-Type", "application/json"), ("content-type", "text/plain")])
        }
        defer { server.stop() }
        let harness = try Self.harness()
        defer { Task { await harness.close() } }
        try await harness.deploy(
            "headers", wat: OutboundGuests.headers, settings: Gate.loopbackGrant)
        let answer = await harness.invoke("headers", body: "POST http://127.0.0.1:\(server.port)/")
        #expect(try Self.text(answer) == "3 2 application/json")
        #expect(server.requests.count == 1 && server.requests.first?.body.isEmpty == true)
    }

    @Test func ungrantedHostsAndBadRequestsAreErrorsNotFaults() async throws {
        let harness = try Self.harness()
        defer { Task { await harness.close() } }
        try await harness.deploy(
            "probe", wat: OutboundGuests.probe(), settings: ["capabilities:", "  http: [\"https://api.example.com\"]"])
        #expect(try Self.text(await harness.invoke("probe", body: "GET http://127.0.0.1:1/")) == "err 1")
        #expect(try Self.text(await harness.invoke("probe", body: "GET https://evil.example.net/")) == "err 1")
        #expect(try Self.text(await harness.invoke("probe", body: "FETCH https://api.example.com/")) == "err 6")
        #expect(try Self.text(await harness.invoke("probe", body: "GET https://api.example.com/\nBad Header: x")) == "err 6")
    }

    @Test func aNameThatResolvesToLoopbackIsRefused() async throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200, body: Array("inside".utf8)) }
        defer { server.stop() }
        let client = CurlClient(resolver: StaticResolver(["public.example": [IPAddress(literal: "127.0.0.1")!]]))
        let harness = try SchedulerHarness(configuration: SchedulerConfiguration(workerThreads: 2, outbound: client))
        defer { Task { await harness.close() } }
        try await harness.deploy(
            "probe", wat: OutboundGuests.probe(), settings: ["capabilities:", "  http: [\"http://public.example:*\"]"])
        #expect(try Self.text(await harness.invoke("probe", body: "GET http://public.example:\(server.port)/")) == "err 1")
        #expect(server.requests.isEmpty)
    }

    @Test func sixteenRequestsPerInvocationThenLimit() async throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200) }
        defer { server.stop() }
        let harness = try Self.harness()
        defer { Task { await harness.close() } }
        let grant = Gate.loopbackGrant
        try await harness.deploy("sixteen", wat: OutboundGuests.probe(times: 16), settings: grant)
        try await harness.deploy("seventeen", wat: OutboundGuests.probe(times: 17), settings: grant)
        let block = "GET http://127.0.0.1:\(server.port)/"
        #expect(try Self.text(await harness.invoke("sixteen", body: block)) == "200 ")
        #expect(try Self.text(await harness.invoke("seventeen", body: block)) == "err 5")
        // The limit is per invocation: the next one may make its 16 again.
        #expect(try Self.text(await harness.invoke("sixteen", body: block)) == "200 ")
    }

    @Test func aBadPointerIsABoundsFault() async throws {
        let harness = try Self.harness()
        defer { Task { await harness.close() } }
        try await harness.deploy(
            "oob", wat: OutboundGuests.outOfBounds, settings: Gate.loopbackGrant)
        let answer = await harness.invoke("oob")
        guard case .failure(let failure) = answer.result else {
            Issue.record("expected a fault, got \(answer.result)")
            return
        }
        #expect(failure.code == "capability_fault")
        #expect(failure.message.contains("bounds"))
    }

    @Test func aSilentServerEndsByTheDeadlineWithAnError() async throws {
        let server = try LoopbackHTTPServer { _ in .silent(hold: .seconds(5)) }
        defer { server.stop() }
        let harness = try Self.harness()
        defer { Task { await harness.close() } }
        try await harness.deploy(
            "probe", wat: OutboundGuests.probe(),
            settings: ["timeout: 600ms"] + Gate.loopbackGrant)
        let answer = await harness.invoke("probe", body: "GET http://127.0.0.1:\(server.port)/")
        #expect(try Self.text(answer) == "err 4")
    }

    /// Eight guests wait on the network at once on a two-worker server: the server holds every
    /// answer until all eight requests have arrived, which can only happen if waiting guests gave
    /// their workers back; meanwhile a CPU-bound function keeps running.
    @Test func waitingGuestsHoldNoWorker() async throws {
        let arrived = Counter()
        let server = try LoopbackHTTPServer { _ in
            arrived.add()
            let giveUp = ContinuousClock.now + .seconds(30)
            while arrived.value < 8 && ContinuousClock.now < giveUp { Thread.sleep(forTimeInterval: 0.01) }
            return .answer(status: 200, body: Array((arrived.value >= 8 ? "together" : "alone").utf8))
        }
        defer { server.stop() }
        let harness = try Self.harness(workers: 2)
        defer { Task { await harness.close() } }
        try await harness.deploy(
            "slow", wat: OutboundGuests.probe(),
            settings: ["concurrency: 8", "timeout: 60s"] + Gate.loopbackGrant)
        try await harness.deploy("spin", wat: OutboundGuests.spin, settings: ["concurrency: 2"])
        let block = "GET http://127.0.0.1:\(server.port)/"
        let cpuRuns = Counter()
        let waiters = Task {
            await withTaskGroup(of: String.self) { group in
                for _ in 0..<8 { group.addTask { (try? Self.text(await harness.invoke("slow", body: block))) ?? "failed" } }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        // While the guests wait, the CPU-bound function runs on the slots they gave back.
        let giveUp = ContinuousClock.now + .seconds(30)
        repeat {
            if case .success = await harness.invoke("spin").result { cpuRuns.add() }
        } while arrived.value < 8 && ContinuousClock.now < giveUp
        let answers = await waiters.value
        #expect(answers == Array(repeating: "200 together", count: 8))
        #expect(cpuRuns.value > 0)
    }
}

/// A count shared by tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

extension SchedulerHarness {
    /// The activation's record once the log has written it (bounded wait).
    func eventuallyRecord(_ id: String) async throws -> ActivationRecord? {
        for _ in 0..<200 {
            if let record = try registry.activations.get(id: id), record.status != .running { return record }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}
