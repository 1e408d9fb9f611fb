@_spi(Fuzzing) import WasmKit

/// The manifest's memory ceiling, as WasmKit's resource limiter: asked at instantiation (a module whose
/// initial memory exceeds it fails to instantiate) and on every `memory.grow` (past it, the guest sees -1).
///
/// `Store.resourceLimiter` is SPI in WasmKit 0.4.2; the package pins that exact version.
final class MemoryCeiling: ResourceLimiter {
    let bytes: Int
    /// Tables are bounded too, so a guest cannot grow a table without limit (each element is a host word).
    static let maxTableElements = 1 << 20

    init(bytes: UInt64) {
        self.bytes = bytes > UInt64(Int.max) ? Int.max : Int(bytes)
    }

    func limitMemoryGrowth(to desired: Int) throws -> Bool {
        desired <= bytes
    }

    func limitTableGrowth(to desired: Int) throws -> Bool {
        desired <= Self.maxTableElements
    }
}
