/// What an archive may hold before it is refused (SPEC "Function archive"); configurable on the server.
///
/// Every limit is enforced while the archive is being decompressed, so a bomb is stopped as soon
/// as it crosses one, not after it has been inflated.
public struct ArchiveLimits: Sendable, Equatable {
    /// Largest gzip archive accepted, in bytes (64 MiB).
    public var compressedBytes: Int = 64 << 20
    /// Largest tar stream (the decompressed archive) accepted, in bytes (256 MiB).
    public var uncompressedBytes: Int = 256 << 20
    /// Most files and directories in one archive (4,096).
    public var entries: Int = 4096
    /// Highest decompressed : compressed ratio (200:1).
    public var ratio: Int = 200
    /// The ratio is checked once the tar stream exceeds this many bytes, so that a tiny archive whose
    /// tar padding compresses very well is not refused (64 KiB).
    public var ratioGraceBytes: Int = 64 << 10

    public init(
        compressedBytes: Int = 64 << 20, uncompressedBytes: Int = 256 << 20, entries: Int = 4096, ratio: Int = 200,
        ratioGraceBytes: Int = 64 << 10
    ) {
        self.compressedBytes = compressedBytes
        self.uncompressedBytes = uncompressedBytes
        self.entries = entries
        self.ratio = ratio
        self.ratioGraceBytes = ratioGraceBytes
    }
}
