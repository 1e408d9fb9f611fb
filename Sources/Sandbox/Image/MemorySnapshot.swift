#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An immutable copy of a compartment's linear memory, taken when it is sealed; restored with one memcpy.
///
/// `@unchecked Sendable`: the bytes are written once, in `init`, and only read afterwards, so compartments
/// of one image on different threads may share one snapshot.
final class MemorySnapshot: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer

    init(copying bytes: UnsafeRawBufferPointer) {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 64)
        if bytes.count > 0 { storage.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        count = bytes.count
    }

    deinit { storage.deallocate() }

    /// The size in bytes of the memory it was taken from.
    let count: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.baseAddress, count: count) }

    /// Whether `memory` holds exactly these bytes.
    func matches(_ memory: UnsafeRawBufferPointer) -> Bool {
        guard memory.count == count else { return false }
        guard count > 0 else { return true }
        return memcmp(memory.baseAddress!, storage.baseAddress!, count) == 0
    }

    /// Copies the snapshot over `memory`, which must have the same size.
    func restore(into memory: UnsafeMutableRawBufferPointer) {
        precondition(memory.count == count, "snapshot restored into a memory of another size")
        guard count > 0 else { return }
        memory.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: count)
    }
}
