import Crypto

/// One version's canonical image: the manifest, the module and the files the manifest grants.
///
/// Its `digest` is the lowercase hex sha256 of ``canonicalEncoding()``, so equal content has an
/// equal digest whatever archive it came in.
public struct FunctionImage: Sendable, Equatable {
    public var manifest: Manifest
    public var module: [UInt8]
    /// Granted data files by archive path.
    public var files: [String: [UInt8]]
    public var digest: String

    /// Builds an image and computes its digest.
    public init(manifest: Manifest, module: [UInt8], files: [String: [UInt8]]) throws(RegistryError) {
        self.manifest = manifest
        self.module = module
        self.files = files
        self.digest = ""
        self.digest = Self.digest(of: try canonicalEncoding())
    }

    init(manifest: Manifest, module: [UInt8], files: [String: [UInt8]], digest: String) {
        self.manifest = manifest
        self.module = module
        self.files = files
        self.digest = digest
    }

    /// The lowercase hex sha256 of `bytes`.
    public static func digest(of bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// Whether `text` has the shape of a digest (64 lowercase hex digits).
    public static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// The canonical bytes (see ``ImageEncoding``).
    public func canonicalEncoding() throws(RegistryError) -> [UInt8] {
        let manifestJSON: [UInt8]
        do { manifestJSON = try manifest.canonicalJSON() } catch {
            throw .storage("cannot encode the manifest: \(error)")
        }
        return ImageEncoding.encode(manifestJSON: manifestJSON, module: module, files: files)
    }
}
