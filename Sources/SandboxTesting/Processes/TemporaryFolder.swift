public import Foundation

/// A fresh folder under the system's temporary directory, removed with everything in it when the
/// value goes away.
///
/// Every value has a folder of its own (its name ends in a new UUID), so tests running at once
/// never share files.
public final class TemporaryFolder: Sendable {
    /// The folder: `TMPDIR/PREFIX-UUID`.
    public let url: URL

    /// Creates `TMPDIR/PREFIX-UUID`.
    ///
    /// - Throws: the file system's error when the folder cannot be created.
    public init(prefix: String = "faas-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A new empty subfolder `NAME` (it and its parents are created if missing).
    ///
    /// - Throws: the file system's error when the folder cannot be created.
    public func folder(_ name: String) throws -> URL {
        let folder = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
