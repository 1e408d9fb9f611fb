import Foundation
import Registry
import SandboxTesting
import Testing

/// One archive the reader must refuse, and how.
struct BadArchive: Sendable, CustomTestStringConvertible {
    let name: String
    let fragment: String
    var limits = ArchiveLimits()
    let make: @Sendable () throws -> [UInt8]

    var testDescription: String { name }

    static func tar(_ build: (inout ArchiveWriter) -> Void) -> [UInt8] {
        var writer = ArchiveWriter()
        writer.addFile("function.yaml", contents: Array(Fixtures.manifest().utf8))
        writer.addFile("hello.wasm", contents: Fixtures.wasiModule)
        build(&writer)
        return writer.tarBytes()
    }

    static func entry(_ name: String, _ kind: ArchiveWriter.EntryKind, fragment: String, path: String = "data/x")
        -> BadArchive
    {
        BadArchive(name: name, fragment: fragment) { try Fixtures.gzip(tar { $0.addEntry(path, kind: kind) }) }
    }

    static let all: [BadArchive] = [
        BadArchive(name: "not gzip", fragment: "not gzip") { tar { _ in } },
        BadArchive(name: "empty body", fragment: "not gzip") { [] },
        BadArchive(name: "corrupt gzip", fragment: "corrupt") {
            var bytes = try Fixtures.archive()
            for index in stride(from: 20, to: bytes.count - 12, by: 7) { bytes[index] ^= 0x5A }
            return bytes
        },
        BadArchive(name: "gzip checksum", fragment: "corrupt") {
            var bytes = try Fixtures.archive()
            bytes[bytes.count - 6] ^= 0xFF  // CRC-32 of the trailer
            return bytes
        },
        BadArchive(name: "truncated gzip", fragment: "truncated") {
            let bytes = try Fixtures.archive()
            return Array(bytes.prefix(bytes.count / 2))
        },
        BadArchive(name: "trailing garbage", fragment: "after the end") { try Fixtures.archive() + Array("junk".utf8) },
        BadArchive(name: "truncated tar", fragment: "truncated") {
            let full = tar { _ in }
            return try Fixtures.gzip(Array(full.prefix(full.count - 1024 - 100)))
        },
        BadArchive(name: "tar without end marker", fragment: "truncated") {
            try Fixtures.gzip(Array(tar { _ in }.dropLast(1024)))
        },
        BadArchive(name: "bad tar checksum", fragment: "checksum") {
            var bytes = tar { _ in }
            bytes[3] ^= 0x01
            return try Fixtures.gzip(bytes)
        },
        BadArchive(name: "not a tar stream", fragment: "checksum") {
            try Fixtures.gzip(Array(repeating: UInt8(ascii: "A"), count: 4096))
        },
        BadArchive(name: "bad size field", fragment: "size field") {
            var bytes = tar { _ in }
            TarSurgery.setField(&bytes, header: 0, at: 124, length: 12, to: Array("12x".utf8))
            return try Fixtures.gzip(bytes)
        },
        entry("symbolic link", .symbolicLink(target: "/etc/passwd"), fragment: "symbolic link"),
        entry("hard link", .hardLink(target: "function.yaml"), fragment: "hard link"),
        entry("character device", .characterDevice, fragment: "character device"),
        entry("block device", .blockDevice, fragment: "block device"),
        entry("fifo", .fifo, fragment: "FIFO"),
        BadArchive(name: "absolute path", fragment: "absolute path") {
            try Fixtures.gzip(tar { $0.addFile("/etc/cron.d/evil", contents: [1]) })
        },
        BadArchive(name: "parent traversal", fragment: "'..'") {
            try Fixtures.gzip(tar { $0.addFile("../evil", contents: [1]) })
        },
        BadArchive(name: "inner traversal", fragment: "'..'") {
            try Fixtures.gzip(tar { $0.addFile("data/../../evil", contents: [1]) })
        },
        BadArchive(name: "traversal in a pax path", fragment: "'..'") {
            try Fixtures.gzip(tar { $0.addFile(String(repeating: "d/", count: 140) + "../../../../" + "x", contents: [1]) })
        },
        BadArchive(name: "duplicate path", fragment: "twice") {
            try Fixtures.gzip(tar { $0.addFile("./function.yaml", contents: [1]) })
        },
        BadArchive(name: "file inside a file", fragment: "inside the file") {
            try Fixtures.gzip(tar { $0.addFile("hello.wasm/inner", contents: [1]) })
        },
        BadArchive(name: "compressed size limit", fragment: "more than the 100 bytes", limits: ArchiveLimits(compressedBytes: 100)) {
            try Fixtures.archive()
        },
        BadArchive(
            name: "uncompressed size limit", fragment: "decompresses to more than",
            limits: ArchiveLimits(uncompressedBytes: 512 << 10, ratio: 1_000_000)
        ) {
            var files: [String: [UInt8]] = [:]
            var state: UInt32 = 7
            for file in 0..<4 {
                var noise = [UInt8](repeating: 0, count: 256 << 10)
                for index in noise.indices {
                    state = state &* 1_103_515_245 &+ 12345
                    noise[index] = UInt8(truncatingIfNeeded: state >> 16)
                }
                files["data/noise\(file)"] = noise
            }
            return try Fixtures.archive(files: files)
        },
        BadArchive(name: "compression ratio (bomb)", fragment: "compression bomb") {
            try Fixtures.archive(files: ["data/zeros": [UInt8](repeating: 0, count: 16 << 20)])
        },
        BadArchive(name: "entry count", fragment: "entries allowed", limits: ArchiveLimits(entries: 10)) {
            try Fixtures.gzip(tar { writer in (0..<9).forEach { writer.addFile("data/\($0)", contents: [1]) } })
        },
        BadArchive(name: "file larger than the limit", fragment: "larger than", limits: ArchiveLimits(uncompressedBytes: 4096)) {
            var bytes = tar { $0.addFile("data/big", contents: [1]) }
            let header = TarSurgery.headerOffsets(bytes)[2]
            TarSurgery.setField(&bytes, header: header, at: 124, length: 12, to: Array(String(1 << 30, radix: 8).utf8))
            return try Fixtures.gzip(bytes)
        },
    ]
}

@Suite struct ArchiveReaderTests {
    @Test(arguments: BadArchive.all)
    func refusesBadArchive(_ bad: BadArchive) throws {
        let bytes = try bad.make()
        let error = #expect(throws: RegistryError.self) { try FunctionArchive.read(bytes, limits: bad.limits) }
        #expect(error?.code == .invalidArchive)
        #expect(error?.message.contains(bad.fragment) == true, "message: \(error?.message ?? "-")")
    }

    @Test func readsFilesDirectoriesAndLongNames() throws {
        let long = String(repeating: "folder/", count: 30) + "file.txt"  // 218 bytes: ustar prefix
        let longer = String(repeating: "deep/", count: 60) + "file.txt"  // 308 bytes: pax path
        var writer = ArchiveWriter()
        writer.addDirectory("data")
        writer.addFile("./data/a.txt", contents: Array("alpha".utf8))
        writer.addFile("data//b.txt", contents: [])
        writer.addFile(long, contents: [1, 2, 3])
        writer.addFile(longer, contents: [4, 5])
        writer.addEntry(".", kind: .directory)
        let archive = try FunctionArchive.read(try writer.archive())
        #expect(archive.files["data/a.txt"] == Array("alpha".utf8))
        #expect(archive.files["data/b.txt"] == [])
        #expect(archive.files[long] == [1, 2, 3])
        #expect(archive.files[longer] == [4, 5])
        #expect(archive.directories == ["data"])
        #expect(archive.files.count == 4)
    }

    @Test func readsConcatenatedGzipMembers() throws {
        let tar = BadArchive.tar { $0.addFile("data/x", contents: Array(repeating: 7, count: 3000)) }
        let split = 1536
        let bytes = try Fixtures.gzip(Array(tar[..<split])) + Fixtures.gzip(Array(tar[split...]))
        let archive = try FunctionArchive.read(bytes)
        #expect(archive.files["data/x"] == Array(repeating: 7, count: 3000))
    }

    @Test func acceptsArchiveAtEachLimit() throws {
        var writer = ArchiveWriter()
        // Half the names need a pax header, which belongs to its entry and does not count on its own.
        (0..<10).forEach { writer.addFile((($0 % 2 == 0) ? String(repeating: "p", count: 300) : "") + "f\($0)", contents: [UInt8($0)]) }
        let bytes = try writer.archive()
        let tarSize = writer.tarBytes().count
        let limits = ArchiveLimits(compressedBytes: bytes.count, uncompressedBytes: tarSize, entries: 10)
        #expect(try FunctionArchive.read(bytes, limits: limits).files.count == 10)
    }

    @Test func readsWhatTheSystemTarWrites() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let source = folder.path + "/src"
        try FileManager.default.createDirectory(atPath: source + "/data/nested", withIntermediateDirectories: true)
        try Data(Fixtures.manifest().utf8).write(to: URL(fileURLWithPath: source + "/function.yaml"))
        try Data(Fixtures.wasiModule).write(to: URL(fileURLWithPath: source + "/hello.wasm"))
        let long = String(repeating: "n", count: 150)
        try Data("x".utf8).write(to: URL(fileURLWithPath: source + "/data/nested/" + long))
        for format in ["gnu", "pax"] {
            let output = folder.path + "/fn-\(format).tar.gz"
            let tar = try await ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"), ["tar", "--format=\(format)", "-czf", output, "-C", source, "."])
            #expect(tar.status == 0, "\(tar.errors)")
            let archive = try FunctionArchive.read([UInt8](try Data(contentsOf: URL(fileURLWithPath: output))))
            #expect(archive.files["function.yaml"] == Array(Fixtures.manifest().utf8), "format \(format)")
            #expect(archive.files["data/nested/" + long] == Array("x".utf8), "format \(format)")
            #expect(archive.directories.isSuperset(of: ["data", "data/nested"]), "format \(format)")
        }
    }

    @Test func packsAFolder() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/data", withIntermediateDirectories: true)
        try Data(Fixtures.manifest().utf8).write(to: URL(fileURLWithPath: folder.path + "/function.yaml"))
        try Data(Fixtures.wasiModule).write(to: URL(fileURLWithPath: folder.path + "/hello.wasm"))
        try Data("a".utf8).write(to: URL(fileURLWithPath: folder.path + "/data/a.txt"))
        let packed = try ArchiveWriter.pack(directory: folder.path)
        #expect(try ArchiveWriter.pack(directory: folder.path) == packed, "packing is deterministic")
        let archive = try FunctionArchive.read(packed)
        #expect(Set(archive.files.keys) == ["function.yaml", "hello.wasm", "data/a.txt"])
        #expect(archive.directories == ["data"])

        try FileManager.default.createSymbolicLink(atPath: folder.path + "/link", withDestinationPath: "/etc/passwd")
        #expect(throws: (any Error).self) { try ArchiveWriter.pack(directory: folder.path) }
    }
}
