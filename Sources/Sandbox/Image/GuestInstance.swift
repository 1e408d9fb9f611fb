import Synchronization
@_spi(Fuzzing) import WasmKit

/// A compartment's WebAssembly instance: its store, the exports the compartment uses and the binding its
/// host functions read their context from. A compartment owns one; when it goes away cleanly its instance
/// is kept for the next compartment of an image of the same prepared module (every JavaScript function
/// shares the runtime's module): it is *recycled*.
///
/// WasmKit translates a function on its first call, per instance, so a fresh instance of a large module
/// (QuickJS) translates again everything an invocation reaches: most of a cold start. A recycled instance
/// keeps its translated code. The compartment that takes it makes it hold exactly its own image's initial
/// state before sealing (``Compartment``): memory grown to the state's size and restored block by block
/// (every block compared with the state and overwritten where it differs, so nothing of the previous
/// function survives), every mutable global assigned, the host functions rebound to the new context, the
/// store's memory ceiling replaced by the new image's. What such a copy would miss (tables changed,
/// segments dropped) rules a module out, as it rules out copying the initial state
/// (``PreparedModule/instanceStateChange``). Only an instance whose last invocation ended cleanly is
/// recycled: a trap, fault or limit discards the compartment together with its instance.
///
/// `@unchecked Sendable`: owned by one compartment or by the shelf, never by two at once, and used only by
/// the thread that owns it.
final class GuestInstance: @unchecked Sendable {
    let store: Store
    let instance: Instance
    let memory: Memory
    let entry: Function
    let globals: [Global]
    let binding: HostcallBinding
    /// The monitor whose engine the store runs on; an instance is recycled only under that monitor.
    let intravisor: ObjectIdentifier

    init(
        store: Store, instance: Instance, memory: Memory, entry: Function, globals: [Global], binding: HostcallBinding,
        intravisor: Intravisor
    ) {
        self.store = store
        self.instance = instance
        self.memory = memory
        self.entry = entry
        self.globals = globals
        self.binding = binding
        self.intravisor = ObjectIdentifier(intravisor)
    }
}

/// The recycled instances of one prepared module: at most the monitor's
/// ``IntravisorConfiguration/recycledInstances``, the newest taken first, the oldest dropped when full.
final class InstanceShelf: Sendable {
    private let shelved = Mutex<[GuestInstance]>([])

    /// Keeps `instance`, dropping the oldest one beyond `capacity`.
    func put(_ instance: GuestInstance, capacity: Int) {
        let dropped: [GuestInstance] = shelved.withLock { shelved in
            shelved.append(instance)
            guard shelved.count > capacity else { return [] }
            let excess = shelved.count - capacity
            defer { shelved.removeFirst(excess) }
            return Array(shelved.prefix(excess))
        }
        _ = dropped  // released here, outside the lock
    }

    /// The newest instance of `intravisor` whose memory is at most `bytes` long (memory cannot shrink), if
    /// one is kept.
    func take(atMost bytes: Int, intravisor: Intravisor) -> GuestInstance? {
        let id = ObjectIdentifier(intravisor)
        return shelved.withLock { shelved in
            guard let index = shelved.lastIndex(where: { $0.intravisor == id && $0.memory.byteCount <= bytes }) else {
                return nil
            }
            return shelved.remove(at: index)
        }
    }

    /// Instances kept now.
    var count: Int { shelved.withLock { $0.count } }

    /// The linear memory of the instances kept now, in bytes.
    var bytes: Int { shelved.withLock { $0.reduce(0) { $0 + $1.memory.byteCount } } }
}
