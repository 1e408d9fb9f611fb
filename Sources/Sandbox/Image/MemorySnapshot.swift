#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An immutable copy of a compartment's linear memory, taken when it is sealed.
///
/// Restoring writes only the blocks an invocation changed: a block is compared first (a block that
/// is zero in the snapshot against zeros, without reading the snapshot at all) and copied only when
/// it differs. An invocation typically dirties a few blocks of stack and heap, so a reset mostly
/// reads instead of reading, writing and writing back the whole memory.
///
/// `@unchecked Sendable`: the bytes are written once, in `init`, and only read afterwards, so compartments
/// of one image on different threads may share one snapshot.
final class MemorySnapshot: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    /// Per block of ``blockSize`` bytes: whether the snapshot holds only zeros there.
    private let zeroBlocks: [Bool]

    /// The unit of comparison and copy.
    static let blockSize = 4096
    /// A block of zeros to compare against (never written, so sharing it is safe).
    nonisolated(unsafe) private static let zeros = UnsafeRawPointer(calloc(1, blockSize)!)

    init(copying bytes: UnsafeRawBufferPointer) {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 64)
        if bytes.count > 0 { storage.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        count = bytes.count
        let blockSize = Self.blockSize
        zeroBlocks = stride(from: 0, to: bytes.count, by: blockSize).map { [storage] offset in
            memcmp(storage.baseAddress! + offset, Self.zeros, min(blockSize, bytes.count - offset)) == 0
        }
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

    /// Makes `memory`, which must have the same size, equal to the snapshot again.
    func restore(into memory: UnsafeMutableRawBufferPointer) {
        precondition(memory.count == count, "snapshot restored into a memory of another size")
        guard count > 0 else { return }
        let live = memory.baseAddress!
        let saved = storage.baseAddress!
        for (block, isZero) in zeroBlocks.enumerated() {
            let offset = block * Self.blockSize
            let length = min(Self.blockSize, count - offset)
            if isZero {
                if memcmp(live + offset, Self.zeros, length) != 0 { memset(live + offset, 0, length) }
            } else if memcmp(live + offset, saved + offset, length) != 0 {
                (live + offset).copyMemory(from: saved + offset, byteCount: length)
            }
        }
    }
}
