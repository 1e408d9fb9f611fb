import Synchronization

/// The log of one invocation, as its guest writes it.
///
/// Owned by the invocation rather than by the compartment, and locked, so that whoever answers for
/// the invocation can read what it logged so far while the guest is still running: the deadline
/// sweep answers a guest that runs past its deadline from another thread, and its record keeps the
/// logs like any other. A compartment writes only the log of the invocation it runs.
public final class InvocationLog: Sendable {
    private struct Buffer {
        var bytes: [UInt8] = []
        var truncated = false
    }

    private let buffer = Mutex(Buffer())

    /// Marks where the log stopped at its limit.
    static let truncationMarker = Array("\n[log truncated]\n".utf8)

    public init() {}

    /// The bytes logged so far.
    public var contents: [UInt8] {
        buffer.withLock { $0.bytes }
    }

    /// Appends `bytes`, keeping at most `limit` bytes of them and then a truncation marker.
    func append(_ bytes: UnsafeRawBufferPointer, limit: Int) {
        buffer.withLock { buffer in
            guard !buffer.truncated else { return }
            let room = limit - buffer.bytes.count
            if bytes.count <= room {
                buffer.bytes.append(contentsOf: bytes)
            } else {
                buffer.bytes.append(contentsOf: bytes.prefix(max(room, 0)))
                buffer.bytes.append(contentsOf: Self.truncationMarker)
                buffer.truncated = true
            }
        }
    }
}
