@testable import Sandbox
import Testing

/// The one place that reads WasmKit's trap texts, pinned to the exact version.
@Suite("Trap classification")
struct TrapClassifierTests {
    @Test(arguments: [
        ("Trap: out of fuel", TrapClassifier.Kind.outOfFuel),
        ("Trap: call stack exhausted\n    0: (0x1) f", .stackExhausted),
        ("Trap: unreachable", .unreachable),
        ("Trap: out of bounds memory access", .memoryOutOfBounds),
        ("Trap: initial memory size exceeds the resource limit: 524288 bytes", .initialMemoryTooLarge),
        ("Trap: integer divide by zero", .other),
        ("something else", .other),
    ])
    func kinds(_ description: String, _ kind: TrapClassifier.Kind) {
        #expect(TrapClassifier.kind(of: description) == kind)
    }

    @Test func interruptionsKeepTheirMeaning() {
        let fault = TrapClassifier.failure(for: HostcallInterruption.fault(CapabilityFault(.bounds, "x")), timeout: .seconds(1))
        #expect(fault.code == .capabilityFault)
        #expect(fault.fault == .bounds)
        #expect(TrapClassifier.failure(for: HostcallInterruption.deadline, timeout: .seconds(1)).code == .timeout)
    }
}
