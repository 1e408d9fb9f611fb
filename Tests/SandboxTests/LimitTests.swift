import Sandbox
import SandboxTesting
import Testing

/// Fuel, memory ceiling, interpreter stack: every limit ends the invocation with a typed result.
@Suite("Limits")
struct LimitTests {
    let harness = SandboxHarness.self

    @Test func infiniteLoopIsStoppedAsATimeout() throws {
        let limits = CompartmentLimits(timeout: .milliseconds(200))
        let image = try harness.image(wat: GuestFixtures.ivInfiniteLoop, harness.descriptor(limits: limits))
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        let outcome = compartment.invoke(.init(), context: harness.context(timeout: .milliseconds(200)))
        #expect(outcome.failure?.code == .timeout)
        // The budget is the calibrated rate times the timeout, all of it spent.
        #expect(outcome.report.fuelUsed >= harness.intravisor.fuel(for: .milliseconds(190)))
        #expect(compartment.state == .destroyed)
    }

    @Test func passedDeadlineStopsAtTheNextHostcall() throws {
        // A guest that spins on a hostcall: the deadline check in the hostcall stops it even with a large budget.
        let wat = """
            (module
              (import "intravisor" "request_len" (func $len (result i32)))
              (memory (export "memory") 1)
              (func (export "iv_main") (result i32) (loop $l (drop (call $len)) (br $l)) (i32.const 0)))
            """
        let slow = Intravisor(configuration: .init(fuelPerSecond: 1 << 40))
        let image = try harness.image(wat: wat, harness.descriptor(limits: .init(timeout: .seconds(300))), intravisor: slow)
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        let outcome = compartment.invoke(.init(), context: harness.context(timeout: .milliseconds(50)))
        #expect(outcome.failure?.code == .timeout)
        #expect(compartment.state == .destroyed)
    }

    @Test func growingPastTheCeilingReturnsMinusOne() throws {
        let limits = CompartmentLimits(memoryBytes: 4 * 65536)
        let image = try harness.image(wat: GuestFixtures.ivGrow(pages: 4), harness.descriptor(limits: limits))
        let response = try #require(try harness.run(image).response)
        #expect(response.body == Array(repeating: 0xFF, count: 8))
        let fits = try harness.image(wat: GuestFixtures.ivGrow(pages: 3), harness.descriptor(limits: limits))
        #expect(try harness.run(fits).response?.body == [1, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func memoryGrowthDiscardsAResetCompartment() throws {
        let image = try harness.image(wat: GuestFixtures.ivGrow(pages: 1), harness.descriptor())
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        #expect(compartment.invoke(.init(), context: harness.context()).response != nil)
        #expect(compartment.state == .destroyed)
        // Under keep, growth is kept.
        let keep = try harness.image(wat: GuestFixtures.ivGrow(pages: 1), harness.descriptor(state: .keep))
        let kept = try Compartment(image: keep, id: 2, callHandler: nil)
        #expect(kept.invoke(.init(), context: harness.context()).response != nil)
        #expect(kept.state == .sealed)
        #expect(kept.memoryBytes == 2 * 65536)
    }

    @Test func initialMemoryPastTheCeilingFailsCreation() throws {
        let wat = #"(module (memory (export "memory") 8) (func (export "iv_main") (result i32) (i32.const 0)))"#
        let image = try harness.image(wat: wat, harness.descriptor(limits: .init(memoryBytes: 4 * 65536)))
        let error = #expect(throws: InvocationFailure.self) { try Compartment(image: image, id: 1, callHandler: nil) }
        #expect(error?.code == .functionError)
    }

    @Test func unreachableIsATrap() throws {
        let image = try harness.image(wat: GuestFixtures.ivUnreachable, harness.descriptor())
        let failure = try #require(try harness.run(image).failure)
        #expect(failure.code == .functionTrap)
        #expect(failure.message.contains("unreachable"))
    }

    @Test func stackExhaustionIsATrap() throws {
        let image = try harness.image(wat: GuestFixtures.ivRecursion, harness.descriptor())
        let failure = try #require(try harness.run(image).failure)
        #expect(failure.code == .functionTrap)
        #expect(failure.message.contains("stack exhausted"))
    }

    @Test func responseLargerThanTheLimitFails() throws {
        let limits = CompartmentLimits(maxResponseBytes: 3)
        let image = try harness.image(wat: GuestFixtures.ivEcho, harness.descriptor(limits: limits))
        let outcome = try harness.run(image, InvocationRequest(body: Array("four".utf8)))
        #expect(outcome.failure?.code == .responseTooLarge)
        let wasi = try harness.image(wat: GuestFixtures.wasiEcho, harness.descriptor(abi: .wasi, limits: limits))
        #expect(try harness.run(wasi, InvocationRequest(body: Array("four".utf8))).failure?.code == .responseTooLarge)
    }

    @Test func logsAreTruncatedWithAMarker() throws {
        let limits = CompartmentLimits(maxLogBytes: 4)
        let image = try harness.image(wat: GuestFixtures.wasiEcho, harness.descriptor(abi: .wasi, limits: limits))
        let logs = try harness.run(image).report.logs
        #expect(logs.starts(with: Array("log ".utf8)))
        #expect(String(decoding: logs, as: UTF8.self).contains("truncated"))
    }
}
