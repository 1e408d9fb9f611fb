import Synchronization
@_spi(Fuzzing) import WasmKit

/// A function version made ready to run: its module rewritten (every mutable global exported under a
/// reserved name, so it can be snapshotted) and parsed once, its imports checked and resolved against the
/// hostcalls, its granted CAP-Files, its limits. Shared by every compartment of that version.
public final class CompartmentImage: Sendable {
    /// One host function the module imports, with the signature the module and the monitor agree on.
    struct HostImport: Sendable {
        let module: String
        let name: String
        let type: FunctionType
    }

    public let descriptor: ImageDescriptor
    public let intravisor: Intravisor
    let module: Module
    let hostImports: [HostImport]
    /// Export names of the module's mutable globals (added by the rewriter), snapshotted with memory.
    let globalExports: [String]
    /// `iv_main` or `_start`.
    let entryName: String
    let files: CapFileSet
    let ceiling: MemoryCeiling
    /// The snapshot the first compartment took; later compartments whose memory is byte-identical when
    /// sealed share it instead of keeping a copy of their own.
    private let sharedSnapshot = Mutex<MemorySnapshot?>(nil)

    /// Rewrites, parses and checks `module` for `descriptor`.
    ///
    /// - Throws: `SandboxError` `invalid_function` when the module is not valid WebAssembly, imports
    ///   something other than functions, imports a function the ABI does not provide or with another
    ///   signature, or lacks its entry point or its exported memory.
    public init(module bytes: [UInt8], files: [String: [UInt8]], descriptor: ImageDescriptor, intravisor: Intravisor)
        throws(SandboxError)
    {
        let rewritten = try ModuleRewriter.exportingMutableGlobals(bytes)
        let module: Module
        do {
            module = try parseWasm(bytes: rewritten.bytes)
        } catch {
            throw SandboxError(.invalidFunction, "module is not valid WebAssembly: \(error)")
        }
        var hostImports: [HostImport] = []
        for entry in module.imports {
            guard case .function(let typeIndex) = entry.descriptor else {
                throw SandboxError(
                    .invalidFunction, "import \(entry.module).\(entry.name) is not a function; only function imports are provided")
            }
            guard let expected = HostcallSignatures.signature(module: entry.module, name: entry.name, abi: descriptor.abi)
            else {
                throw SandboxError(
                    .invalidFunction,
                    "import \(entry.module).\(entry.name) cannot be satisfied under abi \(descriptor.abi.rawValue)")
            }
            guard let actual = module.functionType(at: typeIndex), actual == expected else {
                throw SandboxError(
                    .invalidFunction,
                    "import \(entry.module).\(entry.name) has signature \(module.functionType(at: typeIndex).map { "\($0)" } ?? "?"), expected \(expected)"
                )
            }
            hostImports.append(HostImport(module: entry.module, name: entry.name, type: expected))
        }
        let entryName = descriptor.abi == .iv ? "iv_main" : "_start"
        let exported = Dictionary(module.exports.map { ($0.name, $0.descriptor) }, uniquingKeysWith: { first, _ in first })
        guard case .function = exported[entryName] else {
            throw SandboxError(.invalidFunction, "module does not export the function \(entryName), which abi \(descriptor.abi.rawValue) needs")
        }
        guard case .memory = exported["memory"] else {
            throw SandboxError(.invalidFunction, "module does not export its memory as \"memory\"")
        }
        self.descriptor = descriptor
        self.intravisor = intravisor
        self.module = module
        self.hostImports = hostImports
        self.globalExports = rewritten.exported
        self.entryName = entryName
        self.files = CapFileSet(files: files, grants: descriptor.grants.files)
        self.ceiling = MemoryCeiling(bytes: descriptor.limits.memoryBytes)
    }

    /// The image's shared snapshot if `memory` matches it; otherwise a new snapshot of `memory`, which
    /// becomes the shared one if there was none.
    func snapshot(of memory: UnsafeRawBufferPointer) -> MemorySnapshot {
        if let shared = sharedSnapshot.withLock({ $0 }), shared.matches(memory) { return shared }
        let own = MemorySnapshot(copying: memory)
        sharedSnapshot.withLock { shared in
            if shared == nil { shared = own }
        }
        return own
    }
}
