import SandboxTesting
import Testing

@testable import Sandbox

/// The snapshot restores block by block, writing only what differs: whatever an invocation wrote,
/// where, and however the memory's size falls on block boundaries, the memory afterwards equals
/// the snapshot byte for byte.
struct MemorySnapshotTests {
    @Test(arguments: [0, 1, 4095, 4096, 4097, 3 * 4096 + 17, 128 << 10])
    func restoreUndoesEveryWrite(size: Int) {
        var random = SeededGenerator(seed: UInt64(size) &+ 7)
        // Zero blocks, data blocks and a block mixing both, as a module's memory has.
        var original = [UInt8](repeating: 0, count: size)
        for index in original.indices where (index / 4096) % 3 == 1 || index % 4096 < 64 {
            original[index] = UInt8.random(in: 1...255, using: &random)
        }
        let snapshot = original.withUnsafeBytes { MemorySnapshot(copying: $0) }
        var memory = original
        for round in 0..<50 {
            // Scattered writes, a whole zeroed block, and writes at both ends.
            for _ in 0..<(round % 7) where !memory.isEmpty {
                memory[Int.random(in: memory.indices, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if memory.count > 8192, round % 5 == 0 {
                memory.replaceSubrange(4096..<8192, with: repeatElement(0, count: 4096))
            }
            if !memory.isEmpty, round % 3 == 0 {
                memory[0] ^= 0xFF
                memory[memory.count - 1] ^= 0x5A
            }
            memory.withUnsafeMutableBytes { snapshot.restore(into: $0) }
            #expect(memory == original, "round \(round)")
            #expect(memory.withUnsafeBytes { snapshot.matches($0) })
        }
    }
}
