import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Images as files in one folder (`<data>/images/<digest>.img`), zlib-compressed.
///
/// A write goes to a temporary file that is fsynced, renamed into place and followed by an fsync of
/// the folder, so a blob is either absent or whole after any crash; a temporary left by a crash is
/// deleted by ``collect(keeping:)`` at start-up. A read decompresses into a buffer of the recorded
/// size and checks the sha256 before anything uses the bytes.
///
/// Blob layout: `"CVMZ"`, a format byte (1), the canonical size as a little-endian u64, the zlib stream.
public final class FileImageStore: ImageStore {
    static let magic = Array("CVMZ".utf8) + [1]
    static let headerBytes = 13
    static let temporaryPrefix = ".tmp-"
    static let suffix = ".img"

    /// The folder holding the blobs.
    public let directory: String
    /// zlib level used for new blobs (1 fastest … 9 smallest).
    public let compressionLevel: Int32
    /// Largest canonical image a blob may claim; a larger claim is treated as corruption.
    public let maxImageBytes: Int

    /// Opens (creating if needed) the folder `directory`.
    public init(directory: String, compressionLevel: Int32 = 1, maxImageBytes: Int = 1 << 30) throws(RegistryError) {
        self.directory = directory
        self.compressionLevel = compressionLevel
        self.maxImageBytes = maxImageBytes
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .storage("cannot create the image folder \(directory): \(error.localizedDescription)")
        }
    }

    func path(of digest: String) -> String { directory + "/" + digest + Self.suffix }

    public func contains(digest: String) -> Bool {
        FileImageStore.isDigest(digest) && access(path(of: digest), F_OK) == 0
    }

    public func put(digest: String, canonical: [UInt8]) throws(RegistryError) -> Int {
        guard Self.isDigest(digest) else { throw .storage("\(digest) is not an image digest") }
        let final = path(of: digest)
        var status = stat()
        if stat(final, &status) == 0, (try? get(digest: digest)) != nil {
            return Int(status.st_size)  // deduplicated; a blob that no longer verifies is replaced below
        }

        let compressed: [UInt8]
        do {
            compressed = try ZlibCodec.compress(canonical, algorithm: .zlib, level: compressionLevel)
        } catch {
            throw .storage("cannot compress image \(digest): \(error)")
        }
        var blob = Self.magic
        blob.reserveCapacity(Self.headerBytes + compressed.count)
        withUnsafeBytes(of: UInt64(canonical.count).littleEndian) { blob += $0 }
        blob += compressed

        let temporary = directory + "/" + Self.temporaryPrefix + digest + "-" + UUID().uuidString
        try Self.writeDurably(blob, to: temporary)
        guard rename(temporary, final) == 0 else {
            let reason = Self.errnoText()
            unlink(temporary)
            throw .storage("cannot move image \(digest) into place: \(reason)")
        }
        try Self.syncDirectory(directory)
        return blob.count
    }

    public func get(digest: String) throws(RegistryError) -> [UInt8] {
        guard Self.isDigest(digest) else { throw .storage("\(digest) is not an image digest") }
        guard let data = FileManager.default.contents(atPath: path(of: digest)) else {
            if contains(digest: digest) { throw .storage("image \(digest) cannot be read") }
            throw RegistryError(.notFound, "image \(digest) is missing from the image store")
        }
        let blob = [UInt8](data)
        guard blob.count >= Self.headerBytes, Array(blob[0..<5]) == Self.magic else {
            throw .storage("image \(digest) is corrupt (bad header); it will not be run")
        }
        let size = blob[5..<13].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard size <= UInt64(maxImageBytes),
            let canonical = ZlibCodec.decompress(Array(blob[Self.headerBytes...]), algorithm: .zlib, size: Int(size))
        else {
            throw .storage("image \(digest) is corrupt (does not decompress); it will not be run")
        }
        guard FunctionImage.digest(of: canonical) == digest else {
            throw .storage("image \(digest) is corrupt (its bytes no longer match its digest); it will not be run")
        }
        return canonical
    }

    public func remove(digest: String) throws(RegistryError) {
        guard Self.isDigest(digest) else { return }
        if unlink(path(of: digest)) != 0, errno != ENOENT {
            throw .storage("cannot delete image \(digest): \(Self.errnoText())")
        }
    }

    @discardableResult
    public func collect(keeping: Set<String>) throws(RegistryError) -> (images: Int, temporaries: Int) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw .storage("cannot list the image folder \(directory): \(error.localizedDescription)")
        }
        var images = 0, temporaries = 0
        for name in names {
            if name.hasPrefix(Self.temporaryPrefix) {
                if unlink(directory + "/" + name) == 0 { temporaries += 1 }
            } else if name.hasSuffix(Self.suffix) {
                let digest = String(name.dropLast(Self.suffix.count))
                if Self.isDigest(digest), !keeping.contains(digest), unlink(directory + "/" + name) == 0 { images += 1 }
            }
        }
        if images + temporaries > 0 { try Self.syncDirectory(directory) }
        return (images, temporaries)
    }

    // MARK: - POSIX

    static func isDigest(_ text: String) -> Bool { FunctionImage.isDigest(text) }

    static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Creates `path` (which must not exist), writes all of `bytes` and fsyncs it.
    static func writeDurably(_ bytes: [UInt8], to path: String) throws(RegistryError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .storage("cannot create \(path): \(errnoText())") }
        var failure: String?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write \(path): \(errnoText())"
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = "cannot fsync \(path): \(errnoText())" }
        close(descriptor)
        if let failure {
            unlink(path)
            throw .storage(failure)
        }
    }

    /// Makes the folder's entries (a rename, a deletion) durable.
    static func syncDirectory(_ path: String) throws(RegistryError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .storage("cannot open \(path): \(errnoText())") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .storage("cannot fsync \(path): \(errnoText())") }
    }
}
