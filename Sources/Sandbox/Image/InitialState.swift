@_spi(Fuzzing) import WasmKit

/// What `iv_init` left in an image's first compartment, copied into every later compartment of the image
/// instead of running `iv_init` again (``CompartmentImage/Initialization/copied``): the lever behind cold
/// starts that do not pay for initialisation, as Faasm's proto-faaslets and snapshot-started functions do.
///
/// It holds the linear memory (the same snapshot `state: reset` compartments restore from, so all of them
/// share one copy), the mutable globals (numbers only: an image whose globals hold references keeps
/// running `iv_init`), and the next handle the capability table would issue. Handles opened in `iv_init`
/// are dropped when it returns, as in every compartment; carrying the counter over means none of those
/// numbers, which the guest may have kept in memory, is ever issued again to name something else.
///
/// `@unchecked Sendable`: written once, before the image publishes it, and only read afterwards.
final class InitialState: @unchecked Sendable {
    let memory: MemorySnapshot
    let globals: [Value]
    let nextHandle: Int32

    /// The state of a compartment right after `iv_init`, or nil when it cannot be copied (a global holds
    /// a reference, which names a function or object of that one instance).
    init?(memory: MemorySnapshot, globals: [Value], nextHandle: Int32) {
        for value in globals {
            if case .ref = value { return nil }
        }
        self.memory = memory
        self.globals = globals
        self.nextHandle = nextHandle
    }
}
