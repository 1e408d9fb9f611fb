import Synchronization
@_spi(Fuzzing) import WasmKit

/// One cVM: a WebAssembly instance in a store of its own, its hostcall context and capability table, its
/// memory snapshot, and its sealed entry capability.
///
/// Creation instantiates the image's module, runs `iv_init` (abi `iv`), snapshots memory and every mutable
/// global, and seals the entry capability with the monitor's object type: the compartment is *pre-sealed*.
/// Only an image's first compartment runs `iv_init`: later ones copy the state it left in
/// (``CompartmentImage/Initialization``), unless the module's code could change what a copy misses.
/// Such a compartment may run on an instance recycled from one that went away cleanly
/// (``GuestInstance``): the copy makes it hold exactly the image's initial state.
/// Each invocation unseals the entry, runs the guest under its limits, then (with `state: reset`) restores
/// the snapshot and reseals. A trap, fault or limit destroys the compartment; so does memory growth under
/// `state: reset`, since the snapshot no longer fits.
///
/// Thread-confined while it runs: one invocation at a time. It is `@unchecked Sendable` so a scheduler may
/// hand an idle compartment to another thread; `invoke` claims it atomically (sealed -> running) and refuses
/// with `unavailable` when it is busy or destroyed, so concurrent misuse cannot corrupt it.
public final class Compartment: @unchecked Sendable {
    public let id: UInt64
    public let image: CompartmentImage
    /// The entry capability, sealed with the monitor's object type whenever the compartment is idle.
    public private(set) var entryCapability: Capability

    /// The WebAssembly instance, fresh or recycled, and the exports the compartment uses.
    private let guest: GuestInstance
    var store: Store { guest.store }
    private var memory: Memory { guest.memory }
    private var globals: [Global] { guest.globals }
    let hostContext: HostcallContext
    private var stack: ExecutionStack
    /// Whether the instance may be recycled when the compartment goes (``GuestInstance``): false once a
    /// trap, fault or limit discarded it.
    private var recyclable = true
    /// Whether this compartment runs on an instance recycled from an earlier compartment.
    public let isRecycled: Bool
    private var globalValues: [Value]
    private var snapshot: MemorySnapshot?
    private let lifecycle = Atomic<UInt8>(CompartmentState.sealed.rawValue)
    private let invocationCount = Atomic<Int>(0)
    private let memorySize: Atomic<Int>

    /// Creates a pre-sealed compartment of `image`.
    ///
    /// - Parameters:
    ///   - id: The compartment's id, unique in the process (`GET /cvms`).
    ///   - services: What the hostcalls reach outside the compartment (CAP-Calls, outbound HTTP,
    ///     key-value stores); a missing one answers as not available.
    /// - Throws: `InvocationFailure`: `function_trap` when instantiation or `iv_init` traps, `function_error`
    ///   when `iv_init` returns non-zero, the entry has the wrong signature or the initial memory exceeds
    ///   the ceiling, `timeout` when `iv_init` runs past the timeout, `capability_fault` for a fault in
    ///   `iv_init`.
    public convenience init(image: CompartmentImage, id: UInt64, callHandler: (any CallHandler)?) throws(InvocationFailure) {
        try self.init(image: image, id: id, services: HostServices(calls: callHandler))
    }

    /// Creates a pre-sealed compartment of `image` whose hostcalls reach `services`.
    ///
    /// `iv_init` runs on the fuel of the image's timeout, which bounds what it computes whatever the load, and
    /// stops at a hostcall made after `initDeadline`, which bounds what it waits for; by default the deadline
    /// is the timeout from now.
    public init(
        image: CompartmentImage, id: UInt64, services: HostServices, initDeadline: ContinuousClock.Instant? = nil
    ) throws(InvocationFailure) {
        let intravisor = image.intravisor
        let timeout = image.descriptor.limits.timeout
        self.id = id
        self.image = image
        let context = HostcallContext(image: image, services: services)
        self.hostContext = context
        context.begin(
            InvocationRequest(),
            context: InvocationContext(activation: "", deadline: initDeadline ?? .now.advanced(by: timeout)))
        defer { context.end() }
        let initializes = image.descriptor.abi == .iv && image.initialization != .none
        let expected = image.descriptor.abi == .iv ? FunctionType(parameters: [], results: [.i32]) : FunctionType(parameters: [])

        // A recycled instance when the image's initial state is known and one fits it; else a fresh one.
        let kept = image.recycles ? image.initialState : nil
        let recycled = kept.flatMap { image.prepared.shelf.take(atMost: $0.memory.count, intravisor: intravisor) }
        let guest: GuestInstance
        var stack = ExecutionStack(engine: intravisor.engine)
        if let recycled {
            guest = recycled
            guest.binding.context = context
            guest.store.resourceLimiter = image.ceiling
            guest.store.fuel = Fuel(remaining: intravisor.fuel(for: timeout))
        } else {
            let store = Store(engine: intravisor.engine)
            store.resourceLimiter = image.ceiling
            // Before instantiating: a start function runs under the budget too.
            store.fuel = Fuel(remaining: intravisor.fuel(for: timeout))
            let binding = HostcallBinding(context)
            let instance: Instance
            do {
                let imports = HostcallLinker.imports(for: image, store: store, binding: binding)
                instance = try image.module.instantiate(store: store, imports: imports)
            } catch {
                throw TrapClassifier.failure(for: error, timeout: timeout)
            }
            guard let exportedMemory = instance.exports[memory: "memory"],
                let exportedEntry = instance.exports[function: image.entryName]
            else {
                throw InvocationFailure(.functionError, "the module lacks its memory or \(image.entryName) export")
            }
            guard exportedEntry.type == expected else {
                throw InvocationFailure(
                    .functionError, "\(image.entryName) has signature \(exportedEntry.type), expected \(expected)")
            }
            guest = GuestInstance(
                store: store, instance: instance, memory: exportedMemory, entry: exportedEntry,
                globals: image.globalExports.compactMap { instance.exports[global: $0] }, binding: binding,
                intravisor: intravisor)
        }
        self.guest = guest
        self.isRecycled = recycled != nil
        let (instance, memory, globals) = (guest.instance, guest.memory, guest.globals)
        context.memory = memory

        var initial: InitialState?
        if recycled != nil, let kept {
            // Exactly the image's initial state, whatever the previous compartment left.
            try Self.start(memory: memory, globals: globals, from: kept, instance: instance, stack: &stack)
            context.table = CapabilityTable(firstHandle: kept.nextHandle)
            initial = kept
        } else if initializes, let initializer = instance.exports[function: "iv_init"] {
            guard initializer.type == expected else {
                throw InvocationFailure(.functionError, "iv_init has signature \(initializer.type), expected \(expected)")
            }
            if image.initialization == .copied, let state = image.initialState {
                try Self.start(memory: memory, globals: globals, from: state, instance: instance, stack: &stack)
                context.table = CapabilityTable(firstHandle: state.nextHandle)
                initial = state
            } else {
                let status: Int32
                do {
                    let results = try initializer.invoke([], on: &stack)
                    status = Int32(bitPattern: results.first?.i32 ?? 0)
                } catch {
                    throw TrapClassifier.failure(for: error, timeout: timeout)
                }
                guard status == 0 else {
                    let said = Self.firstLine(of: context.log.contents)
                    // A platform runtime's first line says what is wrong with the function's scripts.
                    if image.descriptor.runtime != nil, !said.isEmpty { throw InvocationFailure(.functionError, said) }
                    throw InvocationFailure(.functionError, "iv_init returned \(status)\(said.isEmpty ? "" : ": " + said)")
                }
                if image.initialization == .copied {
                    initial = Self.keepInitialState(of: memory, globals: globals, context: context, image: image)
                }
            }
        } else if image.takesFreshState() {
            // No iv_init: a fresh instance is the state a recycled one is given.
            initial = Self.keepInitialState(of: memory, globals: globals, context: context, image: image)
        }
        self.stack = stack
        self.globalValues = globals.map(\.value)
        let bytes = memory.byteCount
        self.memorySize = Atomic(bytes)
        if image.descriptor.state == .reset {
            if let initial, initial.memory.count == bytes {
                snapshot = initial.memory  // just copied in, or just taken: the memory holds exactly it
            } else {
                snapshot = Self.withBytes(of: memory) { image.snapshot(of: UnsafeRawBufferPointer($0)) }
            }
        }
        let entryRoot = Capability.root(base: id, length: 1, permissions: [.execute, .invoke])
        do {
            entryCapability = try intravisor.seal(entryRoot)
        } catch {
            throw InvocationFailure(error)
        }
    }

    /// Takes what `memory` and `globals` hold now as the image's initial state, unless another compartment's
    /// was kept first (two may start at once); answers the state when it is this compartment's.
    private static func keepInitialState(
        of memory: Memory, globals: [Global], context: HostcallContext, image: CompartmentImage
    ) -> InitialState? {
        let snapshot = withBytes(of: memory) { image.snapshot(of: UnsafeRawBufferPointer($0)) }
        guard let own = InitialState(memory: snapshot, globals: globals.map(\.value), nextHandle: context.table.nextHandleToIssue)
        else { return nil }
        return image.keepInitialState(own) === own ? own : nil
    }

    /// Hands the instance to its module's shelf when the compartment went cleanly (``GuestInstance``).
    deinit {
        guard recyclable, image.recycles else { return }
        image.prepared.shelf.put(guest, capacity: image.intravisor.configuration.recycledInstances)
    }

    /// Makes an instance, fresh or recycled, hold `state`: grows its memory to the state's size with the
    /// image's grow export, copies the memory in (only the blocks that differ from what the instance holds)
    /// and assigns every mutable global.
    private static func start(
        memory: Memory, globals: [Global], from state: InitialState, instance: Instance, stack: inout ExecutionStack
    ) throws(InvocationFailure) {
        let missing = state.memory.count - memory.byteCount
        if missing > 0 {
            guard let grow = instance.exports[function: ModuleRewriter.memoryGrowExport],
                let pages = Int32(exactly: missing / 65536), missing % 65536 == 0,
                let result = try? grow.invoke([.i32(UInt32(bitPattern: pages))], on: &stack),
                result.first?.i32 != UInt32.max, memory.byteCount == state.memory.count
            else {
                throw InvocationFailure(
                    .functionError, "the memory cannot grow to the \(state.memory.count) bytes iv_init left")
            }
        }
        guard memory.byteCount == state.memory.count, globals.count == state.globals.count else {
            throw InvocationFailure(.functionError, "the initial state does not fit this compartment")
        }
        withBytes(of: memory) { state.memory.restore(into: $0) }
        for (global, value) in zip(globals, state.globals) {
            do { try global.assign(value) } catch {
                throw InvocationFailure(.functionError, "the initial state does not fit this compartment: \(error)")
            }
        }
    }

    /// The first line of what `iv_init` logged (what a runtime says about a script it could not load,
    /// e.g. `index.js:3: SyntaxError: …`), at most 512 bytes; empty when it logged nothing.
    private static func firstLine(of logs: [UInt8]) -> String {
        String(decoding: logs.prefix { $0 != UInt8(ascii: "\n") }.prefix(512), as: UTF8.self)
    }

    /// The compartment's current lifecycle state.
    public var state: CompartmentState {
        CompartmentState(rawValue: lifecycle.load(ordering: .acquiring)) ?? .destroyed
    }

    /// Linear memory size in bytes, as of the end of the last invocation (safe to read from any thread).
    public var memoryBytes: Int { memorySize.load(ordering: .relaxed) }

    /// Invocations run so far (safe to read from any thread).
    public var invocations: Int { invocationCount.load(ordering: .relaxed) }

    /// Marks the compartment destroyed: it refuses every further invocation. Safe from any thread, also while
    /// an invocation runs (that invocation finishes, and the compartment is not resealed). Its memory is
    /// released when the last reference to it goes.
    public func destroy() {
        lifecycle.store(CompartmentState.destroyed.rawValue, ordering: .releasing)
    }

    /// Destroys the compartment from the thread that runs it, dropping its own snapshot at once; its
    /// instance is not recycled.
    func discard() {
        destroy()
        recyclable = false
        snapshot = nil
    }

    /// Takes the compartment for one invocation: sealed -> running. False when busy or destroyed.
    func claim() -> Bool {
        lifecycle.compareExchange(
            expected: CompartmentState.sealed.rawValue, desired: CompartmentState.running.rawValue,
            ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Reseals after an invocation: running -> sealed (a destroyed compartment stays destroyed).
    func release() {
        _ = lifecycle.compareExchange(
            expected: CompartmentState.running.rawValue, desired: CompartmentState.sealed.rawValue,
            ordering: .acquiringAndReleasing)
    }

    /// Runs the entry export on the compartment's own interpreter stack.
    func runEntry() throws -> [Value] {
        try guest.entry.invoke([], on: &stack)
    }

    func recordInvocation() {
        invocationCount.add(1, ordering: .relaxed)
        memorySize.store(memory.byteCount, ordering: .relaxed)
    }

    /// Puts the compartment back as it was when sealed (`state: reset`): memory with one memcpy, then every
    /// mutable global. Returns false when that is impossible because memory grew; the caller discards the
    /// compartment then. Under `state: keep` nothing is restored.
    func resetState() -> Bool {
        guard image.descriptor.state == .reset else { return true }
        guard let snapshot, memory.byteCount == snapshot.count else { return false }
        Self.withBytes(of: memory) { snapshot.restore(into: $0) }
        for (global, value) in zip(globals, globalValues) {
            do { try global.assign(value) } catch { return false }
        }
        return true
    }

    /// Calls `body` with the whole linear memory.
    static func withBytes<T>(of memory: Memory, _ body: (UnsafeMutableRawBufferPointer) -> T) -> T {
        let count = memory.byteCount
        guard count > 0 else { return body(UnsafeMutableRawBufferPointer(start: nil, count: 0)) }
        return memory.withUnsafeMutableBufferPointer(offset: 0, count: count, body)
    }
}

@available(*, unavailable, message: "a compartment is entered by one thread at a time through invoke")
extension HostcallContext: Sendable {}
