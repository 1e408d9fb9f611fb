import WasmKit

/// Turns whatever a guest call threw into a typed failure: the one place that knows WasmKit's trap texts.
///
/// `Trap.reason` is package-internal in WasmKit 0.4.2, so traps are told apart by their description
/// ("Trap: out of fuel", "Trap: call stack exhausted", …). The texts are pinned by the exact WasmKit
/// version and by the tests of this type.
enum TrapClassifier {
    /// What kind of trap a description names.
    enum Kind: Equatable, Sendable {
        case outOfFuel
        case stackExhausted
        case unreachable
        case memoryOutOfBounds
        case initialMemoryTooLarge
        case other
    }

    /// The kind of trap `description` (a `Trap`'s description) names.
    static func kind(of description: String) -> Kind {
        // The description is "Trap: <reason>" followed by an optional backtrace on later lines.
        let firstLine = description.prefix { $0 != "\n" }
        let reason = firstLine.hasPrefix("Trap: ") ? firstLine.dropFirst(6) : firstLine[...]
        if reason == "out of fuel" { return .outOfFuel }
        if reason == "call stack exhausted" { return .stackExhausted }
        if reason == "unreachable" { return .unreachable }
        if reason == "out of bounds memory access" { return .memoryOutOfBounds }
        if reason.hasPrefix("initial memory size exceeds the resource limit") { return .initialMemoryTooLarge }
        return .other
    }

    /// The failure an error thrown out of guest code stands for. Hostcall interruptions are handled before
    /// this is asked; everything else the engine throws is a trap of the guest.
    static func failure(for error: any Error, timeout: Duration) -> InvocationFailure {
        if let interruption = error as? HostcallInterruption {
            return interruption.failure
        }
        let description = String(describing: error)
        let reason = description.prefix { $0 != "\n" }
        switch kind(of: description) {
        case .outOfFuel:
            return InvocationFailure(.timeout, "the function ran out of its fuel budget for a \(timeout) timeout")
        case .stackExhausted:
            return InvocationFailure(.functionTrap, "stack exhausted: \(reason)")
        case .initialMemoryTooLarge:
            return InvocationFailure(.functionError, "the module's initial memory exceeds the memory limit: \(reason)")
        case .unreachable, .memoryOutOfBounds, .other:
            return InvocationFailure(.functionTrap, String(reason))
        }
    }
}
