import Foundation

/// Writes a function archive: a tar stream (ustar, with a pax header for a path longer than ustar
/// holds) compressed with gzip. `faas pack` uses it; it is deterministic (zero times and owners), so
/// one folder always packs to the same bytes.
///
/// ```swift
/// var writer = ArchiveWriter()
/// writer.addFile("function.yaml", contents: Array("name: hello\nmodule: hello.wasm\n".utf8))
/// writer.addFile("hello.wasm", contents: module)
/// let archive = try writer.archive()
/// ```
public struct ArchiveWriter: Sendable {
    /// What one tar entry is. Links and devices exist so that tests can write archives the reader
    /// must refuse; `faas pack` writes only files and directories.
    public enum EntryKind: Sendable, Equatable {
        case file
        case directory
        case symbolicLink(target: String)
        case hardLink(target: String)
        case characterDevice
        case blockDevice
        case fifo
    }

    private var tar: [UInt8] = []

    public init() {}

    /// Appends a regular file.
    public mutating func addFile(_ path: String, contents: [UInt8], mode: Int = 0o644) {
        addEntry(path, kind: .file, contents: contents, mode: mode)
    }

    /// Appends a directory entry (`path` without a trailing `/`; one is added).
    public mutating func addDirectory(_ path: String, mode: Int = 0o755) {
        addEntry(path.hasSuffix("/") ? path : path + "/", kind: .directory, contents: [], mode: mode)
    }

    /// Appends an entry of any kind, writing `path` exactly as given (no normalisation).
    public mutating func addEntry(_ path: String, kind: EntryKind, contents: [UInt8] = [], mode: Int = 0o644) {
        let name = Array(path.utf8)
        let (headerName, prefix): ([UInt8], [UInt8])
        if name.count <= 100 {
            (headerName, prefix) = (name, [])
        } else if let split = Self.ustarSplit(name) {
            (headerName, prefix) = split
        } else {
            let record = Self.paxRecord(key: "path", value: name)
            tar += Self.header(name: Array("PaxHeaders/entry".utf8), prefix: [], size: record.count, type: UInt8(ascii: "x"))
            tar += record
            tar += Self.padding(record.count)
            (headerName, prefix) = (Array(name.suffix(99)), [])
        }
        var link: [UInt8] = []
        let type: UInt8
        switch kind {
        case .file: type = UInt8(ascii: "0")
        case .directory: type = UInt8(ascii: "5")
        case .symbolicLink(let target): type = UInt8(ascii: "2"); link = Array(target.utf8.prefix(100))
        case .hardLink(let target): type = UInt8(ascii: "1"); link = Array(target.utf8.prefix(100))
        case .characterDevice: type = UInt8(ascii: "3")
        case .blockDevice: type = UInt8(ascii: "4")
        case .fifo: type = UInt8(ascii: "6")
        }
        tar += Self.header(name: headerName, prefix: prefix, size: contents.count, type: type, link: link, mode: mode)
        tar += contents
        tar += Self.padding(contents.count)
    }

    /// The tar stream so far, closed with the two zero blocks of the end-of-archive marker.
    public func tarBytes() -> [UInt8] {
        tar + [UInt8](repeating: 0, count: 1024)
    }

    /// The gzip-compressed archive.
    public func archive(level: Int32 = 6) throws -> [UInt8] {
        try ZlibCodec.compress(tarBytes(), algorithm: .gzip, level: level)
    }

    /// Packs a folder: every regular file and directory under it, paths relative to it, sorted.
    /// - Throws: when the folder cannot be read or holds a symbolic link or special file.
    public static func pack(directory: String) throws -> [UInt8] {
        let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        let manager = FileManager.default
        guard let walker = manager.enumerator(atPath: root.path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: directory])
        }
        var paths: [String] = []
        while let next = walker.nextObject() as? String { paths.append(next) }
        var writer = ArchiveWriter()
        for path in paths.sorted() {
            let full = root.appendingPathComponent(path).path
            let attributes = try manager.attributesOfItem(atPath: full)
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                writer.addDirectory(path)
            case .typeRegular?:
                let data = try Data(contentsOf: URL(fileURLWithPath: full))
                writer.addFile(path, contents: [UInt8](data))
            default:
                throw CocoaError(
                    .fileReadUnsupportedScheme,
                    userInfo: [NSLocalizedDescriptionKey: "\(full) is not a regular file or directory; archives hold only those"])
            }
        }
        return try writer.archive()
    }

    // MARK: - Encoding

    static func header(
        name: [UInt8], prefix: [UInt8], size: Int, type: UInt8, link: [UInt8] = [], mode: Int = 0o644
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int) {
            for (index, byte) in bytes.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(Array(name.prefix(100)), at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136)
        put(Array(repeating: 0x20, count: 8), at: 148)
        block[156] = type
        put(link, at: 157)
        put(Array("ustar\0".utf8), at: 257)
        put(Array("00".utf8), at: 263)
        put(Array(prefix.prefix(155)), at: 345)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [0x20], at: 148)
        return block
    }

    /// Splits a path longer than 100 bytes into ustar's prefix (≤ 155) and name (≤ 100) at a `/`.
    static func ustarSplit(_ path: [UInt8]) -> (name: [UInt8], prefix: [UInt8])? {
        guard path.count <= 256 else { return nil }
        for index in path.indices where path[index] == UInt8(ascii: "/") {
            let prefix = Array(path[..<index]), name = Array(path[(index + 1)...])
            if prefix.count <= 155, name.count <= 100, !name.isEmpty { return (name, prefix) }
        }
        return nil
    }

    static func paxRecord(key: String, value: [UInt8]) -> [UInt8] {
        let body = Array(" \(key)=".utf8) + value + [0x0a]
        var length = body.count + 1
        while String(length).utf8.count + body.count != length { length += 1 }
        return Array(String(length).utf8) + body
    }

    static func padding(_ size: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: (512 - size % 512) % 512)
    }
}
