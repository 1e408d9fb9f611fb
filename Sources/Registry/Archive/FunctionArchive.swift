/// The regular files and directories of a function archive, read into memory by path.
///
/// Paths are normalised (`ArchivePath`): relative, `/`-separated, without `.` or `..`.
public struct FunctionArchive: Sendable, Equatable {
    /// Every regular file, by path.
    public var files: [String: [UInt8]]
    /// Every directory named by an entry of its own.
    public var directories: Set<String>

    public init(files: [String: [UInt8]] = [:], directories: Set<String> = []) {
        self.files = files
        self.directories = directories
    }

    /// Reads a `fn.tar.gz` under `limits`.
    ///
    /// Nothing is written anywhere: the archive is decompressed and parsed in memory, and every limit
    /// is checked while decompressing.
    /// - Throws: `invalid_archive` naming the limit, entry or corruption that made it unreadable.
    public static func read(_ archive: [UInt8], limits: ArchiveLimits = .init()) throws(RegistryError) -> FunctionArchive {
        var reader = TarReader(limits: limits)
        try GzipInflater(limits: limits).inflate(archive) { (chunk) throws(RegistryError) in
            try reader.consume(chunk)
        }
        return try reader.finish()
    }
}
