/// A read-only CAP-File: one file of a function's image, with a load-only capability over its bytes.
///
/// The bytes live in a shared ``Storage`` object made once per image, so any number of compartments can
/// hold the same file without copying it; a `CapFile` value is a reference plus a capability.
public struct CapFile: Sendable {
    /// The immutable bytes of one file, shared by every compartment of an image version.
    public final class Storage: Sendable {
        /// The archive path of the file, without a leading `/`.
        public let path: String
        /// The file's contents.
        public let bytes: [UInt8]

        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// The shared contents.
    public let storage: Storage
    /// A load-only capability over `[0, bytes.count)`, the file's own address space.
    public let capability: Capability

    /// The archive path of the file.
    public var path: String { storage.path }
    /// The file's contents (the shared buffer, not a copy).
    public var bytes: [UInt8] { storage.bytes }

    /// Wraps shared storage with the monitor's load-only root capability over it.
    public init(storage: Storage) {
        self.storage = storage
        self.capability = .root(base: 0, length: UInt64(storage.bytes.count), permissions: .load)
    }

    /// Makes the storage for `bytes` and wraps it; call once per image, then share the result.
    public init(path: String, bytes: [UInt8]) {
        self.init(storage: Storage(path: path, bytes: bytes))
    }
}
