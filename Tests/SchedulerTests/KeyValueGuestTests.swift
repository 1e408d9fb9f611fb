import Foundation
import Registry
import Sandbox
import SandboxTesting
import Scheduler
import Testing

/// Guests that use key-value stores.
enum KeyValueGuests {
    /// Runs every kv_* import once against store "s" and answers each result, space-separated.
    static let probe = """
        (module
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (import "intravisor" "kv_get" (func $get (param i32 i32 i32 i32) (result i32)))
          (import "intravisor" "kv_set" (func $set (param i32 i32 i32 i32 i32 i32) (result i32)))
          (import "intravisor" "kv_delete" (func $delete (param i32 i32 i32 i32) (result i32)))
          (import "intravisor" "kv_incr" (func $incr (param i32 i32 i32 i32 i64 i32) (result i32)))
          (import "intravisor" "kv_cas" (func $cas (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
          (import "intravisor" "kv_keys" (func $keys (param i32 i32 i32 i32 i32) (result i32)))
          (import "intravisor" "cap_len" (func $caplen (param i32) (result i64)))
          (import "intravisor" "cap_read" (func $capread (param i32 i32 i32 i64) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 300) "s")
          (data (i32.const 310) "k")
          (data (i32.const 320) "v1")
          (data (i32.const 330) "v2")
          (data (i32.const 340) "v3")
          (data (i32.const 350) "new")
          (data (i32.const 360) "n")
          (data (i32.const 370) "other")
          (data (i32.const 380) "- ")
          \(OutboundGuests.number)
          (func $rc (param $v i32)
            (if (i32.lt_s (local.get $v) (i32.const 0))
              (then (drop (call $write (i32.const 380) (i32.const 1))) (local.set $v (i32.sub (i32.const 0) (local.get $v)))))
            (call $number (local.get $v))
            (drop (call $write (i32.const 381) (i32.const 1))))
          (func $bytes (param $handle i32)
            (drop (call $write (i32.const 1000)
              (call $capread (local.get $handle) (i32.const 1000) (i32.wrap_i64 (call $caplen (local.get $handle))) (i64.const 0))))
            (drop (call $write (i32.const 381) (i32.const 1))))
          (func (export "iv_main") (result i32)
            (call $rc (call $set (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 1) (i32.const 320) (i32.const 2)))
            (call $bytes (call $get (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 1)))
            (call $rc (call $cas (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 1) (i32.const 320) (i32.const 2) (i32.const 330) (i32.const 2)))
            (call $rc (call $cas (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 1) (i32.const 320) (i32.const 2) (i32.const 340) (i32.const 2)))
            (call $rc (call $cas (i32.const 300) (i32.const 1) (i32.const 350) (i32.const 3) (i32.const 0) (i32.const -1) (i32.const 340) (i32.const 2)))
            (drop (call $incr (i32.const 300) (i32.const 1) (i32.const 360) (i32.const 1) (i64.const 5) (i32.const 400)))
            (call $rc (i32.wrap_i64 (i64.load (i32.const 400))))
            (call $rc (call $incr (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 1) (i64.const 1) (i32.const 400)))
            (call $rc (call $get (i32.const 370) (i32.const 5) (i32.const 310) (i32.const 1)))
            (call $rc (call $get (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 0)))
            (call $rc (call $delete (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 1)))
            (call $rc (call $delete (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 1)))
            (call $rc (call $get (i32.const 300) (i32.const 1) (i32.const 310) (i32.const 1)))
            (call $bytes (call $keys (i32.const 300) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 10)))
            (i32.const 0)))
        """

    /// An empty body: sets "big" to a value one byte over 1 MiB and answers the code. Any other
    /// body: sets "k" to "v", then fails (iv_main returns 1).
    static let setThenFail = """
        (module
          (import "intravisor" "request_len" (func $len (result i32)))
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (import "intravisor" "kv_set" (func $set (param i32 i32 i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 17)
          (data (i32.const 0) "skbigv-")
          \(OutboundGuests.number)
          (func (export "iv_main") (result i32)
            (local $rc i32)
            (if (call $len)
              (then
                (drop (call $set (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1) (i32.const 5) (i32.const 1)))
                (return (i32.const 1))))
            (local.set $rc (call $set (i32.const 0) (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 1024) (i32.const 1048577)))
            (drop (call $write (i32.const 6) (i32.const 1)))
            (call $number (i32.sub (i32.const 0) (local.get $rc)))
            (i32.const 0)))
        """

    /// kv_set with a value range outside its memory.
    static let outOfBounds = """
        (module
          (import "intravisor" "kv_set" (func $set (param i32 i32 i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "sk")
          (func (export "iv_main") (result i32)
            (drop (call $set (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 1) (i32.const 65530) (i32.const 100)))
            (i32.const 0)))
        """
}

@Suite("Key-value stores through guests")
struct KeyValueGuestTests {
    @Test func everyOperationAnswersItsCode() async throws {
        let harness = try SchedulerHarness()
        defer { Task { await harness.close() } }
        try await harness.deploy("kv", wat: KeyValueGuests.probe, settings: ["capabilities:", "  kv: [s]"])
        let answer = await harness.invoke("kv")
        let text = String(decoding: try answer.result.get().body, as: UTF8.self)
        #expect(text == "0 v1 0 -7 0 5 -6 -1 -6 0 -2 -2 n\nnew\n ")
        // What the guest wrote is in the store the HTTP API reads.
        #expect(try harness.registry.keyValue.get(store: "s", key: Array("new".utf8)) == Array("v3".utf8))
        // Another function that lists the store sees the same keys: "new" exists now (cas -7) and
        // "n" was 5 (incr answers 10).
        try await harness.deploy("kv-twin", wat: KeyValueGuests.probe, settings: ["capabilities:", "  kv: [s]"])
        let twin = String(decoding: try await harness.invoke("kv-twin").result.get().body, as: UTF8.self)
        #expect(twin == "0 v1 0 -7 -7 10 -6 -1 -6 0 -2 -2 n\nnew\n ")
        let metrics = harness.scheduler.prometheusText()
        #expect(metrics.contains(#"faas_kv_operations_total{op="cas",result="conflict"} 3"#), "\(metrics)")
        #expect(metrics.contains(#"faas_kv_operations_total{op="get",result="not_granted"} 2"#))
    }

    @Test func aStoreNotGrantedCannotBeImported() async throws {
        let harness = try SchedulerHarness()
        defer { Task { await harness.close() } }
        await #expect(throws: (any Error).self) {
            try await harness.deploy("kv", wat: KeyValueGuests.probe)
        }
    }

    /// A value over 1 MiB is -3 and stores nothing; a write is kept when the invocation then fails.
    @Test func bigValuesAreRefusedAndWritesOutliveAFailure() async throws {
        let harness = try SchedulerHarness()
        defer { Task { await harness.close() } }
        try await harness.deploy("writer", wat: KeyValueGuests.setThenFail, settings: ["capabilities:", "  kv: [s]"])
        #expect(String(decoding: try await harness.invoke("writer").result.get().body, as: UTF8.self) == "-3")
        #expect(try harness.registry.keyValue.get(store: "s", key: Array("big".utf8)) == nil)
        guard case .failure(let failure) = await harness.invoke("writer", body: "fail").result else {
            Issue.record("expected the invocation to fail")
            return
        }
        #expect(failure.code == "function_error")
        #expect(try harness.registry.keyValue.get(store: "s", key: Array("k".utf8)) == Array("v".utf8))
    }

    @Test func aBadValuePointerIsABoundsFault() async throws {
        let harness = try SchedulerHarness()
        defer { Task { await harness.close() } }
        try await harness.deploy("oob", wat: KeyValueGuests.outOfBounds, settings: ["capabilities:", "  kv: [s]"])
        guard case .failure(let failure) = await harness.invoke("oob").result else {
            Issue.record("expected a capability fault")
            return
        }
        #expect(failure.code == "capability_fault")
        #expect(try harness.registry.keyValue.get(store: "s", key: Array("k".utf8)) == nil)
    }

    /// Many compartments of the counter example increment one key at once: every answer is a
    /// different count and the last is the number of invocations.
    @Test func concurrentIncrementsFromManyCompartmentsAreAtomic() async throws {
        let harness = try SchedulerHarness()
        defer { Task { await harness.close() } }
        _ = try await harness.scheduler.deploy(archive: Examples.archive(named: "counter"))
        // Rounds of 60 at once: within the counter's concurrency (8) plus its queue (64).
        let rounds = 4
        let total = rounds * 60
        var counts: [Int?] = []
        for _ in 0..<rounds {
            counts += await withTaskGroup(of: Int?.self) { group in
                for _ in 0..<60 {
                    group.addTask {
                        guard case .success(let response) = await harness.invoke("counter", body: "hits").result else {
                            return nil
                        }
                        return Int(String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                    }
                }
                return await group.reduce(into: [Int?]()) { $0.append($1) }
            }
        }
        #expect(counts.count == total)
        #expect(Set(counts.compactMap { $0 }) == Set(1...total))
        #expect(try harness.registry.keyValue.get(store: "counters", key: Array("hits".utf8)) == Array("\(total)".utf8))
    }
}
