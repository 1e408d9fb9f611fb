/// An incremental reader of a tar stream (ustar, with pax and GNU long-name headers) that accepts
/// only regular files and directories.
///
/// It is fed the decompressed stream in chunks of any size and keeps only the files' bytes; a
/// header that claims more than the limits allow is refused before its data is read.
struct TarReader {
    static let blockSize = 512
    /// Largest pax extended header or GNU long name accepted.
    static let maxMetadataBytes = 64 << 10

    private enum Target {
        case file(path: String)
        case pax(global: Bool)
        case longName
        case skip
    }

    private enum State {
        case header
        case data(Target, remaining: Int, padding: Int)
        case ended
    }

    private enum Kind { case file, directory }

    let limits: ArchiveLimits
    private var state: State = .header
    private var block: [UInt8] = []
    private var buffer: [UInt8] = []
    private var files: [String: [UInt8]] = [:]
    private var directories: Set<String> = []
    private var impliedDirectories: Set<String> = []
    private var entries = 0
    private var headerIndex = 0
    private var paxPath: String?
    private var paxSize: Int?
    private var longName: String?

    init(limits: ArchiveLimits) {
        self.limits = limits
        block.reserveCapacity(Self.blockSize)
    }

    /// Consumes the next bytes of the tar stream.
    mutating func consume(_ chunk: UnsafeRawBufferPointer) throws(RegistryError) {
        var offset = 0
        while offset < chunk.count {
            switch state {
            case .ended:
                return  // whatever follows the end-of-archive marker is padding
            case .header:
                let take = min(Self.blockSize - block.count, chunk.count - offset)
                block.append(contentsOf: chunk[offset..<(offset + take)])
                offset += take
                if block.count == Self.blockSize {
                    try readHeader()
                    block.removeAll(keepingCapacity: true)
                }
            case .data(let target, let remaining, let padding):
                if remaining > 0 {
                    let take = min(remaining, chunk.count - offset)
                    let slice = UnsafeRawBufferPointer(rebasing: chunk[offset..<(offset + take)])
                    switch target {
                    case .file, .pax, .longName: buffer.append(contentsOf: slice)
                    case .skip: break
                    }
                    offset += take
                    state = .data(target, remaining: remaining - take, padding: padding)
                } else if padding > 0 {
                    let take = min(padding, chunk.count - offset)
                    offset += take
                    state = .data(target, remaining: 0, padding: padding - take)
                }
                if case .data(let target, 0, 0) = state {
                    try complete(target)
                    state = .header
                }
            }
        }
    }

    /// Ends the stream: it must have reached the end-of-archive marker.
    /// - Returns: the files and directories read.
    mutating func finish() throws(RegistryError) -> FunctionArchive {
        guard case .ended = state else {
            throw .archive("tar stream ends in the middle of an entry or without its end marker: the archive is truncated")
        }
        return FunctionArchive(files: files, directories: directories)
    }

    // MARK: - Headers

    private mutating func readHeader() throws(RegistryError) {
        headerIndex += 1
        if block.allSatisfy({ $0 == 0 }) {
            guard paxPath == nil, paxSize == nil, longName == nil else {
                throw .archive("tar stream ends after an extended header without its entry: the archive is truncated")
            }
            state = .ended
            return
        }
        try verifyChecksum()
        let type = block[156]
        let size = try headerSize()
        switch type {
        case UInt8(ascii: "x"), UInt8(ascii: "g"):
            let global = type == UInt8(ascii: "g")
            if !global, paxPath != nil || paxSize != nil {
                throw .archive("header \(headerIndex): two pax extended headers for one entry")
            }
            guard size <= Self.maxMetadataBytes else {
                throw .archive("header \(headerIndex): pax extended header larger than \(Self.maxMetadataBytes) bytes")
            }
            // A global header stands alone, so it counts as an entry; a per-entry header belongs to the next one.
            if global { try countEntry() }
            buffer = []
            try startData(.pax(global: global), size: size)
        case UInt8(ascii: "L"):
            guard longName == nil else { throw .archive("header \(headerIndex): two long-name headers for one entry") }
            guard size <= Self.maxMetadataBytes else {
                throw .archive("header \(headerIndex): long name larger than \(Self.maxMetadataBytes) bytes")
            }
            buffer = []
            try startData(.longName, size: size)
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
            let path = try entryPath()
            guard let path else { throw .archive("header \(headerIndex): a file entry has an empty name") }
            let size = paxSize ?? size
            try admit(path, as: .file)
            guard size <= limits.uncompressedBytes else {
                throw .archive("file \(ArchivePath.quoted(path)) is larger than the \(limits.uncompressedBytes) bytes allowed")
            }
            clearMetadata()
            buffer = []
            buffer.reserveCapacity(min(size, 4 << 20))
            try startData(.file(path: path), size: size)
        case UInt8(ascii: "5"):
            let path = try entryPath()
            let size = paxSize ?? size
            clearMetadata()
            if let path {
                try admit(path, as: .directory)
                directories.insert(path)
            }
            try startData(.skip, size: size)
        default:
            let name = (try? entryPath()).flatMap { $0 } ?? "."
            throw .archive("entry \(ArchivePath.quoted(name)) is \(Self.describe(type)); only regular files and directories are allowed")
        }
    }

    private mutating func startData(_ target: Target, size: Int) throws(RegistryError) {
        let padding = (Self.blockSize - size % Self.blockSize) % Self.blockSize
        if size == 0 {
            state = .header
            try complete(target)
        } else {
            state = .data(target, remaining: size, padding: padding)
        }
    }

    private mutating func complete(_ target: Target) throws(RegistryError) {
        switch target {
        case .file(let path):
            files[path] = buffer
            buffer = []
        case .pax(let global):
            let records = try PaxRecords.parse(buffer, header: headerIndex)
            buffer = []
            guard !global else { return }
            if let path = records["path"] { paxPath = path }
            if let size = records["size"] {
                guard let value = Int(size), value >= 0 else {
                    throw .archive("header \(headerIndex): pax size \(ArchivePath.quoted(size)) is not a size")
                }
                paxSize = value
            }
            if records["linkpath"] != nil {
                throw .archive("header \(headerIndex): pax linkpath given; links are not allowed")
            }
        case .longName:
            var bytes = buffer
            while bytes.last == 0 { bytes.removeLast() }
            longName = try ArchivePath.decode(bytes)
            buffer = []
        case .skip:
            break
        }
    }

    private mutating func clearMetadata() {
        paxPath = nil
        paxSize = nil
        longName = nil
    }

    private mutating func countEntry() throws(RegistryError) {
        entries += 1
        guard entries <= limits.entries else {
            throw .archive("archive has more than the \(limits.entries) entries allowed")
        }
    }

    /// Records `path` as a file or directory, refusing duplicates and files that would contain others.
    private mutating func admit(_ path: String, as kind: Kind) throws(RegistryError) {
        try countEntry()
        let shown = ArchivePath.quoted(path)
        if files[path] != nil || directories.contains(path) {
            throw .archive("entry \(shown) appears twice in the archive")
        }
        if kind == .file, impliedDirectories.contains(path) {
            throw .archive("file \(shown) is also a directory of other entries")
        }
        var parent = Substring(path)
        while let slash = parent.lastIndex(of: "/") {
            parent = parent[..<slash]
            let name = String(parent)
            if files[name] != nil { throw .archive("entry \(shown) lies inside the file \(ArchivePath.quoted(name))") }
            if !impliedDirectories.insert(name).inserted { break }
        }
    }

    // MARK: - Fields

    private func entryPath() throws(RegistryError) -> String? {
        if let paxPath { return try ArchivePath.normalize(paxPath) }
        if let longName { return try ArchivePath.normalize(longName) }
        var name = try ArchivePath.decode(field(0, 100))
        let isPOSIX = block[257..<263].elementsEqual(Array("ustar\0".utf8))
        if isPOSIX {
            let prefix = try ArchivePath.decode(field(345, 155))
            if !prefix.isEmpty { name = prefix + "/" + name }
        }
        return try ArchivePath.normalize(name)
    }

    /// Bytes of a NUL-terminated header field.
    private func field(_ offset: Int, _ length: Int) -> ArraySlice<UInt8> {
        let slice = block[offset..<(offset + length)]
        if let end = slice.firstIndex(of: 0) { return block[offset..<end] }
        return slice
    }

    private func headerSize() throws(RegistryError) -> Int {
        let raw = block[124..<136]
        if let first = raw.first, first & 0x80 != 0 {
            throw .archive("header \(headerIndex): size uses base-256, which only entries over 8 GiB need")
        }
        guard let size = Self.octal(raw) else {
            throw .archive("header \(headerIndex): size field is not an octal number")
        }
        return size
    }

    private func verifyChecksum() throws(RegistryError) {
        guard let stored = Self.octal(block[148..<156]) else {
            throw .archive("header \(headerIndex): checksum field is not an octal number (not a tar archive?)")
        }
        var sum = 0
        for index in 0..<Self.blockSize {
            sum += (148..<156).contains(index) ? 0x20 : Int(block[index])
        }
        guard sum == stored else {
            throw .archive("header \(headerIndex): checksum mismatch; the tar stream is corrupt")
        }
    }

    /// An octal number padded with spaces or NULs, as tar writes them.
    static func octal(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var digits = 0
        var ended = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                if ended { return nil }
                guard value < (Int.max >> 3) else { return nil }
                value = value << 3 | Int(byte - UInt8(ascii: "0"))
                digits += 1
            case UInt8(ascii: " "), 0:
                if digits > 0 { ended = true }
            default:
                return nil
            }
        }
        return digits > 0 ? value : nil
    }

    private static func describe(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "1"): "a hard link"
        case UInt8(ascii: "2"): "a symbolic link"
        case UInt8(ascii: "3"): "a character device"
        case UInt8(ascii: "4"): "a block device"
        case UInt8(ascii: "6"): "a FIFO"
        case UInt8(ascii: "K"): "a long link name"
        default: "an unsupported entry type (\(Unicode.Scalar(type).escaped(asASCII: true)))"
        }
    }
}
