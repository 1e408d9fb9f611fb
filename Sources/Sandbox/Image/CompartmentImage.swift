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
    /// How a compartment gets what `iv_init` leaves: see ``Initialization``.
    public let initialization: Initialization
    /// The export that grows a fresh instance's memory (``ModuleRewriter/memoryGrowExport``), if added.
    let memoryGrowExport: String?
    /// What `iv_init` left in the first compartment that ran it, once taken (``Initialization/copied``), or
    /// a fresh instance's state (``Initialization/none``, when instances are recycled).
    private let takenState = Mutex<InitialState?>(nil)
    /// Whether a fresh instance's state was looked at (``Initialization/none``): it is taken once.
    private let freshStateTaken = Atomic<Bool>(false)
    /// The module as prepared, shared with other images of it, and its shelf of recycled instances.
    public let prepared: PreparedModule
    /// Whether compartments of this image take recycled instances of its module and leave theirs
    /// (``GuestInstance``): recycling is on, and a copy of memory and globals makes an instance hold
    /// the image's initial state (the module changes no other instance state, and `iv_init`, if any, has
    /// its state copied, not rerun).
    let recycles: Bool

    /// How the compartments of an image get the state `iv_init` leaves.
    public enum Initialization: Sendable, Equatable {
        /// The module has no `iv_init` (every `wasi` module): a fresh instance is the initial state.
        case none
        /// `iv_init` runs once, in the image's first compartment; its memory and mutable globals are the
        /// image's initial state, copied into every later compartment, which never runs `iv_init`.
        case copied
        /// `iv_init` runs in every compartment, because its state cannot be copied: the reason.
        case rerun(String)
    }

    /// Rewrites, parses and checks `module` for `descriptor`.
    ///
    /// - Throws: `SandboxError` `invalid_function` when the module is not valid WebAssembly, imports
    ///   something other than functions, imports a function the ABI does not provide or with another
    ///   signature, or lacks its entry point or its exported memory.
    public convenience init(
        module bytes: [UInt8], files: [String: [UInt8]], descriptor: ImageDescriptor, intravisor: Intravisor
    ) throws(SandboxError) {
        try self.init(module: PreparedModule(bytes), files: files, descriptor: descriptor, intravisor: intravisor)
    }

    /// An image of a module rewritten and parsed before, shared with other images (a platform runtime's).
    ///
    /// - Throws: `SandboxError` `invalid_function` as the other initialiser, for what depends on `descriptor`.
    public init(module prepared: PreparedModule, files: [String: [UInt8]], descriptor: ImageDescriptor, intravisor: Intravisor)
        throws(SandboxError)
    {
        let module = prepared.module
        var hostImports: [HostImport] = []
        for entry in module.imports {
            guard case .function(let typeIndex) = entry.descriptor else {
                throw SandboxError(
                    .invalidFunction, "import \(entry.module).\(entry.name) is not a function; only function imports are provided")
            }
            guard let expected = HostcallSignatures.signature(
                module: entry.module, name: entry.name, abi: descriptor.abi, runtime: descriptor.runtime)
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
        self.globalExports = prepared.globalExports
        self.entryName = entryName
        self.files = CapFileSet(files: files, grants: descriptor.grants.files)
        self.ceiling = MemoryCeiling(bytes: descriptor.limits.memoryBytes)
        self.memoryGrowExport = prepared.memoryGrowExport
        self.prepared = prepared
        if descriptor.abi != .iv || exported["iv_init"] == nil {
            initialization = .none
        } else if !intravisor.configuration.initialStateCopies {
            initialization = .rerun("copies of the initial state are turned off")
        } else if prepared.memoryGrowExport == nil {
            initialization = .rerun("the module's memory cannot be grown by the monitor")
        } else if let instruction = prepared.instanceStateChange {
            initialization = .rerun("the module's code changes instance state a copy would miss (\(instruction))")
        } else {
            initialization = .copied
        }
        let reruns: Bool
        if case .rerun = initialization { reruns = true } else { reruns = false }
        recycles =
            intravisor.configuration.recycledInstances > 0 && prepared.instanceStateChange == nil
            && prepared.memoryGrowExport != nil && !reruns
    }

    /// The initial state taken from the image's first compartment, if any yet.
    var initialState: InitialState? { takenState.withLock { $0 } }

    /// Keeps `state` as the image's initial state unless one was taken already; answers the one kept.
    func keepInitialState(_ state: InitialState) -> InitialState {
        takenState.withLock { taken in
            if let taken { return taken }
            taken = state
            return state
        }
    }

    /// Whether the caller is the first to take a fresh instance's state (``Initialization/none``); later
    /// callers, and callers of images that do not recycle, are not.
    func takesFreshState() -> Bool {
        guard recycles, initialization == .none else { return false }
        return freshStateTaken.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
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
