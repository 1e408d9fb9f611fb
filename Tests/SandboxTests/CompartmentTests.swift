import Sandbox
import SandboxTesting
import Testing

@Suite("Compartment lifecycle and state")
struct CompartmentTests {
    let harness = SandboxHarness.self

    @Test func ivEchoRoundTrip() throws {
        let image = try harness.image(wat: GuestFixtures.ivEcho, harness.descriptor())
        let outcome = try harness.run(image, InvocationRequest(body: Array("ping".utf8)))
        let response = try #require(outcome.response)
        #expect(response.status == 201)
        #expect(response.body == Array("ping".utf8))
        #expect(response.headers == [HTTPField(name: "x-echo", value: "yes")])
        #expect(outcome.report.logs == Array("echo".utf8))
        #expect(outcome.report.exitCode == 0)
        #expect(outcome.report.fuelUsed > 0)
    }

    @Test func wasiStdinToStdoutAndStderrToLogs() throws {
        let image = try harness.image(wat: GuestFixtures.wasiEcho, harness.descriptor(abi: .wasi))
        let body = Array(repeating: UInt8(ascii: "x"), count: 10_000)
        let outcome = try harness.run(image, InvocationRequest(body: body))
        let response = try #require(outcome.response)
        #expect(response.status == 200)
        #expect(response.body == body)
        #expect(outcome.report.logs == Array("log line\n".utf8))
    }

    @Test func wasiEnvironmentHasRequestAndManifestVariables() throws {
        let descriptor = harness.descriptor(abi: .wasi, env: [HTTPField(name: "GREETING", value: "hi")], function: "envy")
        let image = try harness.image(wat: GuestFixtures.wasiEnvironment, descriptor)
        let request = InvocationRequest(
            method: "PUT", path: "/a/b", query: "x=1", headers: [HTTPField(name: "Content-Type", value: "text/plain"), HTTPField(name: "X-Trace-Id", value: "7")],
            body: Array("abc".utf8))
        let compartment = try Compartment(image: image, id: 9, callHandler: nil)
        let outcome = compartment.invoke(request, context: harness.context(activation: "act-42"))
        let response = try #require(outcome.response)
        let variables = response.body.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        #expect(
            variables == [
                "REQUEST_METHOD=PUT", "PATH_INFO=/a/b", "QUERY_STRING=x=1", "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=3",
                "HTTP_CONTENT_TYPE=text/plain", "HTTP_X_TRACE_ID=7", "FAAS_FUNCTION=envy", "FAAS_VERSION=1",
                "FAAS_ACTIVATION=act-42", "GREETING=hi",
            ])
    }

    @Test func cgiResponseSetsStatusAndHeaders() throws {
        let image = try harness.image(wat: GuestFixtures.wasiCGI, harness.descriptor(abi: .wasi, response: .cgi))
        let response = try #require(try harness.run(image).response)
        #expect(response.status == 201)
        #expect(response.headers == [HTTPField(name: "Content-Type", value: "text/plain")])
        #expect(response.body == Array("made".utf8))
    }

    @Test func resetRestoresMemoryAndGlobalsEveryInvocation() throws {
        let image = try harness.image(wat: GuestFixtures.ivCounter, harness.descriptor())
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        for _ in 0..<3 {
            let response = try #require(compartment.invoke(.init(), context: harness.context()).response)
            #expect(response.body == [11, 1])  // iv_init's 10 + 1; the global from 0 to 1
        }
        #expect(compartment.state == .sealed)
        #expect(compartment.invocations == 3)
    }

    @Test func keepCarriesStateAcrossInvocations() throws {
        let image = try harness.image(wat: GuestFixtures.ivCounter, harness.descriptor(state: .keep))
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        let bodies = try (0..<3).map { _ in try #require(compartment.invoke(.init(), context: harness.context()).response).body }
        #expect(bodies == [[11, 1], [12, 2], [13, 3]])
    }

    @Test func stackPointerIsRestoredAfterProcExit() throws {
        let image = try harness.image(wat: GuestFixtures.wasiStackPointer, harness.descriptor(abi: .wasi))
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        for _ in 0..<3 {
            let outcome = compartment.invoke(.init(), context: harness.context())
            let response = try #require(outcome.response)
            #expect(response.body == [0x00, 0x00, 0x01, 0x00])  // 65536 at entry, every time
            #expect(outcome.report.exitCode == 0)
        }
    }

    @Test func compartmentsOfOneImageAreIsolated() throws {
        let image = try harness.image(wat: GuestFixtures.ivCounter, harness.descriptor(state: .keep))
        let first = try Compartment(image: image, id: 1, callHandler: nil)
        let second = try Compartment(image: image, id: 2, callHandler: nil)
        _ = first.invoke(.init(), context: harness.context())
        _ = first.invoke(.init(), context: harness.context())
        #expect(second.invoke(.init(), context: harness.context()).response?.body == [11, 1])
    }

    @Test func nonZeroExitIsFunctionErrorAndKeepsTheCompartment() throws {
        let image = try harness.image(wat: GuestFixtures.ivMain("(i32.const 3)"), harness.descriptor())
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        let outcome = compartment.invoke(.init(), context: harness.context())
        #expect(outcome.failure?.code == .functionError)
        #expect(outcome.report.exitCode == 3)
        #expect(compartment.state == .sealed)
    }

    @Test func ivInitFailureFailsCreation() throws {
        let wat = """
            (module (memory (export "memory") 1)
              (func (export "iv_init") (result i32) (i32.const 7))
              (func (export "iv_main") (result i32) (i32.const 0)))
            """
        let image = try harness.image(wat: wat, harness.descriptor())
        #expect(throws: InvocationFailure.self) { try Compartment(image: image, id: 1, callHandler: nil) }
    }

    @Test func trapDestroysAndDestroyedRefuses() throws {
        let image = try harness.image(wat: GuestFixtures.ivUnreachable, harness.descriptor())
        let compartment = try Compartment(image: image, id: 1, callHandler: nil)
        let outcome = compartment.invoke(.init(), context: harness.context())
        #expect(outcome.failure?.code == .functionTrap)
        #expect(compartment.state == .destroyed)
        #expect(compartment.invoke(.init(), context: harness.context()).failure?.code == .unavailable)
    }

    @Test func enteringThroughAnythingButTheSealedEntryFaults() throws {
        let image = try harness.image(wat: GuestFixtures.ivMain("(i32.const 0)"), harness.descriptor())
        let a = try Compartment(image: image, id: 1, callHandler: nil)
        let b = try Compartment(image: image, id: 2, callHandler: nil)
        // Another compartment's entry: right seal, wrong object.
        let wrong = a.invoke(.init(), context: harness.context(), through: b.entryCapability)
        #expect(wrong.failure?.fault == .type)
        #expect(a.state == .destroyed)
        // An entry sealed by another monitor: wrong object type.
        let other = Intravisor(configuration: .init(fuelPerSecond: 1_000_000_000))
        let foreignImage = try harness.image(wat: GuestFixtures.ivMain("(i32.const 0)"), harness.descriptor(), intravisor: other)
        let foreign = try Compartment(image: foreignImage, id: 3, callHandler: nil)
        let c = try Compartment(image: image, id: 3, callHandler: nil)
        #expect(c.invoke(.init(), context: harness.context(), through: foreign.entryCapability).failure?.fault == .type)
        #expect(c.state == .destroyed)
        // The genuine entry works.
        #expect(b.invoke(.init(), context: harness.context(), through: b.entryCapability).response != nil)
    }

    @Test func imageRefusesWhatCannotBeLinked() throws {
        let badSignature = """
            (module (import "intravisor" "log" (func (param i32) (result i32)))
              (memory (export "memory") 1) (func (export "iv_main") (result i32) (i32.const 0)))
            """
        #expect(throws: SandboxError.self) { try harness.image(wat: badSignature, harness.descriptor()) }
        let unknown = """
            (module (import "intravisor" "format_disk" (func (result i32)))
              (memory (export "memory") 1) (func (export "iv_main") (result i32) (i32.const 0)))
            """
        #expect(throws: SandboxError.self) { try harness.image(wat: unknown, harness.descriptor()) }
        let wasiUnderIV = """
            (module (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
              (memory (export "memory") 1) (func (export "iv_main") (result i32) (i32.const 0)))
            """
        #expect(throws: SandboxError.self) { try harness.image(wat: wasiUnderIV, harness.descriptor()) }
        #expect(throws: SandboxError.self) {
            try CompartmentImage(module: [0, 97, 115, 109, 2], files: [:], descriptor: harness.descriptor(), intravisor: harness.intravisor)
        }
    }
}
