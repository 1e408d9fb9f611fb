import Foundation

/// The answer to a deploy: `201 {name, version, digest, size, compressed_size}`.
public struct DeployResult: Sendable, Equatable, Codable {
    public var name: String
    public var version: Int
    /// `sha256:` digest of the canonical image.
    public var digest: String
    /// Uncompressed bytes of the image.
    public var size: Int64
    /// Bytes of the archive as received.
    public var compressedSize: Int64

    public init(name: String, version: Int, digest: String, size: Int64, compressedSize: Int64) {
        self.name = name
        self.version = version
        self.digest = digest
        self.size = size
        self.compressedSize = compressedSize
    }

    enum CodingKeys: String, CodingKey {
        case name, version, digest, size
        case compressedSize = "compressed_size"
    }
}
