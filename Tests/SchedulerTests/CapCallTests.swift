import Registry
import Sandbox
import Scheduler
import Testing

/// CAP-Calls through the scheduler: the callee runs inline on the caller's thread, from its own
/// pool, with its own activation.
@Suite struct CapCallTests {
    /// Calls `callee` with the body "ping", then answers the callee's status (as 3 digits) and body.
    static let caller = """
        (module
          (import "intravisor" "call" (func $call (param i32 i32 i32 i32) (result i32)))
          (import "intravisor" "call_status" (func $status (param i32) (result i32)))
          (import "intravisor" "cap_len" (func $len (param i32) (result i64)))
          (import "intravisor" "cap_read" (func $read (param i32 i32 i32 i64) (result i32)))
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "callee")
          (data (i32.const 16) "ping")
          (func (export "iv_main") (result i32)
            (local $handle i32) (local $status i32) (local $n i32)
            (local.set $handle (call $call (i32.const 0) (i32.const 6) (i32.const 16) (i32.const 4)))
            (if (i32.lt_s (local.get $handle) (i32.const 0)) (then (return (i32.const 7))))
            (local.set $status (call $status (local.get $handle)))
            (i32.store8 (i32.const 100) (i32.add (i32.const 48) (i32.div_u (local.get $status) (i32.const 100))))
            (i32.store8 (i32.const 101) (i32.add (i32.const 48) (i32.rem_u (i32.div_u (local.get $status) (i32.const 10)) (i32.const 10))))
            (i32.store8 (i32.const 102) (i32.add (i32.const 48) (i32.rem_u (local.get $status) (i32.const 10))))
            (local.set $n (call $read (local.get $handle) (i32.const 103) (i32.wrap_i64 (call $len (local.get $handle))) (i64.const 0)))
            (drop (call $write (i32.const 100) (i32.add (i32.const 3) (local.get $n))))
            (i32.const 0)))
        """

    /// Echoes its request body back, prefixed with "pong:".
    static let callee = """
        (module
          (import "intravisor" "request_len" (func $len (result i32)))
          (import "intravisor" "request_read" (func $read (param i32 i32 i32) (result i32)))
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "pong:")
          (func (export "iv_main") (result i32)
            (local $n i32)
            (local.set $n (call $read (i32.const 5) (call $len) (i32.const 0)))
            (drop (call $write (i32.const 0) (i32.add (i32.const 5) (local.get $n))))
            (i32.const 0)))
        """

    @Test func aCallRunsTheCalleeAndHandsBackItsResponse() async throws {
        let harness = try SchedulerHarness()
        try await harness.deploy("callee", wat: Self.callee, settings: ["warm: 1"])
        try await harness.deploy("caller", wat: Self.caller, settings: ["warm: 1", "capabilities: { invoke: [callee] }"])
        let answer = await harness.invoke("caller")
        #expect(String(decoding: try answer.result.get().body, as: UTF8.self) == "200pong:ping")
        // The callee's run is an activation of its own.
        harness.registry.activations.flush()
        let calls = try harness.registry.activations.list(function: "callee", limit: 10)
        #expect(calls.count == 1)
        #expect(calls.first?.status == .succeeded)
        await harness.close()
    }

    @Test func callingAnUnknownFunctionIsNotFoundForTheGuest() async throws {
        let harness = try SchedulerHarness()
        // "callee" is granted but never deployed: the guest sees -2 and answers 7 → function_error.
        try await harness.deploy("caller", wat: Self.caller, settings: ["warm: 0", "capabilities: { invoke: [callee] }"])
        let answer = await harness.invoke("caller")
        guard case .failure(let failure) = answer.result else {
            Issue.record("a call to a missing function succeeded")
            return
        }
        #expect(failure.code == "function_error")
        await harness.close()
    }
}
