@_spi(Fuzzing) import WasmKit

/// A module rewritten for the monitor (mutable globals exported, a memory-grow export added), parsed by
/// WasmKit, and scanned for code that changes instance state a copy of memory and globals would miss.
///
/// Preparing is the costly part of making an image; an image made from a prepared module only checks
/// its imports against its descriptor. A platform runtime's module (``GuestRuntime``) is prepared once
/// per process and shared by the images of every function that runs on it.
public final class PreparedModule: Sendable {
    let module: Module
    /// Export names of the module's mutable globals (added by the rewriter).
    let globalExports: [String]
    /// ``ModuleRewriter/memoryGrowExport`` when the rewriter could add it.
    let memoryGrowExport: String?
    /// The first instruction that changes tables or drops segments, if the code has one.
    let instanceStateChange: String?
    /// The size of the module as given, in bytes.
    public let byteCount: Int
    /// Instances of this module kept for recycling (``GuestInstance``), shared by its images.
    let shelf = InstanceShelf()
    /// Instances kept for recycling now.
    public var recycledInstances: Int { shelf.count }
    /// The linear memory those instances hold, in bytes: memory no compartment counts.
    public var recycledBytes: Int { shelf.bytes }

    /// - Throws: `SandboxError` `invalid_function` when the module is not valid WebAssembly or uses a
    ///   name reserved by the platform.
    public init(_ bytes: [UInt8]) throws(SandboxError) {
        let rewritten = try ModuleRewriter.exportingMutableGlobals(bytes)
        let growable = try ModuleRewriter.addingMemoryGrow(rewritten.bytes)
        do {
            module = try parseWasm(bytes: growable.bytes)
        } catch {
            throw SandboxError(.invalidFunction, "module is not valid WebAssembly: \(error)")
        }
        globalExports = rewritten.exported
        memoryGrowExport = growable.export
        instanceStateChange = InstanceStateScan.firstStateChange(in: bytes)
        byteCount = bytes.count
    }
}
