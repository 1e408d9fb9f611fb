/// WASI preview 1 constants the checked layer answers with.
enum WASIErrno {
    static let success: Int32 = 0
    static let badf: Int32 = 8
    static let inval: Int32 = 28
    static let isdir: Int32 = 31
    static let mfile: Int32 = 33
    static let nametoolong: Int32 = 37
    static let noent: Int32 = 44
    static let nosys: Int32 = 52
    static let notdir: Int32 = 54
    static let overflow: Int32 = 61
    static let spipe: Int32 = 70
    static let notcapable: Int32 = 76
}

enum WASIFileType {
    static let unknown: UInt8 = 0
    static let characterDevice: UInt8 = 2
    static let directory: UInt8 = 3
    static let regularFile: UInt8 = 4
}

enum WASIRights {
    static let fdRead: UInt64 = 1 << 1
    static let fdSeek: UInt64 = 1 << 2
    static let fdTell: UInt64 = 1 << 5
    static let fdWrite: UInt64 = 1 << 6
    static let fdAdvise: UInt64 = 1 << 7
    static let fdAllocate: UInt64 = 1 << 8
    static let pathCreateDirectory: UInt64 = 1 << 9
    static let pathCreateFile: UInt64 = 1 << 10
    static let pathOpen: UInt64 = 1 << 13
    static let fdReaddir: UInt64 = 1 << 14
    static let pathFilestatGet: UInt64 = 1 << 18
    static let fdFilestatGet: UInt64 = 1 << 21
    static let fdFilestatSetSize: UInt64 = 1 << 22
    static let pollFdReadwrite: UInt64 = 1 << 27

    /// What an opened CAP-File may do: read, seek, stat. Never write.
    static let file: UInt64 = fdRead | fdSeek | fdTell | fdAdvise | fdFilestatGet | pollFdReadwrite
    /// What the preopened directory may do: open and stat the files under it.
    static let directory: UInt64 = pathOpen | fdReaddir | pathFilestatGet | fdFilestatGet
    /// Rights that would let a descriptor change something; asking for any of them is refused.
    static let mutating: UInt64 = fdWrite | fdAllocate | pathCreateDirectory | pathCreateFile | fdFilestatSetSize
}

/// The descriptor numbering of a wasi compartment: stdio, then the preopened root, then opened CAP-Files.
enum WASIFiles {
    static let standardInput: Int32 = 0
    static let standardOutput: Int32 = 1
    static let standardError: Int32 = 2
    /// The read-only root directory of the granted CAP-Files, present when any file is granted.
    static let root: Int32 = 3
    static let firstFileDescriptor: Int32 = 4
    static let maxOpenFiles = 256
}

/// An opened CAP-File: the file and the read position of its descriptor.
struct WASIOpenFile {
    let file: CapFile
    var position: UInt64
}

/// NUL-terminated strings laid out as WASI's `args_get`/`environ_get` write them.
struct WASIStrings {
    /// Offsets of each string in `buffer`.
    private(set) var offsets: [UInt32] = []
    private(set) var buffer: [UInt8] = []

    init<S: Sequence<String>>(_ strings: S) {
        for string in strings {
            offsets.append(UInt32(buffer.count))
            buffer.append(contentsOf: string.utf8.lazy.filter { $0 != 0 })
            buffer.append(0)
        }
    }

    var count: Int { offsets.count }
}
