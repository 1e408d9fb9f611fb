import Foundation
import Registry
import Sandbox
import Testing

/// One archive a deploy must refuse, with its code and a word its message must hold.
struct BadDeploy: Sendable, CustomTestStringConvertible {
    let name: String
    let code: RegistryError.Code
    let fragment: String
    let make: @Sendable () throws -> [UInt8]

    var testDescription: String { name }

    static func function(_ name: String, _ fragment: String, yaml: String, module: [UInt8] = Fixtures.wasiModule,
                         files: [String: [UInt8]] = [:]) -> BadDeploy {
        BadDeploy(name: name, code: .invalidFunction, fragment: fragment) {
            try Fixtures.archive(yaml: yaml, module: module, files: files)
        }
    }

    static let all: [BadDeploy] = [
        BadDeploy(name: "missing manifest", code: .invalidArchive, fragment: "function.yaml") {
            var writer = ArchiveWriter()
            writer.addFile("hello.wasm", contents: Fixtures.wasiModule)
            return try writer.archive()
        },
        BadDeploy(name: "manifest in a folder", code: .invalidArchive, fragment: "fn/function.yaml") {
            var writer = ArchiveWriter()
            writer.addFile("fn/function.yaml", contents: Array(Fixtures.manifest().utf8))
            writer.addFile("fn/hello.wasm", contents: Fixtures.wasiModule)
            return try writer.archive()
        },
        BadDeploy(name: "traversal", code: .invalidArchive, fragment: "'..'") {
            try Fixtures.archive(files: ["../../etc/evil": [1]])
        },
        BadDeploy(name: "corrupt gzip", code: .invalidArchive, fragment: "truncated") {
            Array(try Fixtures.archive().dropLast(9))
        },
        BadDeploy(name: "missing module", code: .invalidFunction, fragment: "'module'") {
            var writer = ArchiveWriter()
            writer.addFile("function.yaml", contents: Array(Fixtures.manifest().utf8))
            return try writer.archive()
        },
        function("bad YAML", "not valid YAML", yaml: "name: hello\nmodule: [hello.wasm\n"),
        function("unknown key", "'ports'", yaml: Fixtures.manifest(extra: "ports: [80]\n")),
        function("bad memory unit", "'memory'", yaml: Fixtures.manifest(extra: "memory: 64MB\n")),
        function("bad timeout unit", "'timeout'", yaml: Fixtures.manifest(extra: "timeout: 5sec\n")),
        function("invalid name", "'name'", yaml: Fixtures.manifest("Hello")),
        function("not WebAssembly", "not valid WebAssembly", yaml: Fixtures.manifest(), module: Array("#!/bin/sh\n".utf8)),
        function(
            "unsatisfiable import", "intravisor.clock_ns", yaml: Fixtures.manifest(extra: "abi: iv\n"),
            module: Fixtures.ivClockModule),
        function("wasi import under iv", "wasi_snapshot_preview1.fd_write", yaml: Fixtures.manifest(extra: "abi: iv\n")),
        function("missing iv_main", "iv_main", yaml: Fixtures.manifest(extra: "abi: iv\n"), module: Fixtures.wasiModuleWithoutImports),
        function(
            "granted file missing", "capabilities.files", yaml: Fixtures.manifest(extra: "capabilities: { files: [data/a.txt] }\n")),
        function(
            "granted folder missing", "capabilities.files", yaml: Fixtures.manifest(extra: "capabilities: { files: [data/] }\n"),
            files: ["other/a.txt": [1]]),
        BadDeploy(name: "manifest is not UTF-8", code: .invalidFunction, fragment: "UTF-8") {
            var writer = ArchiveWriter()
            writer.addFile("function.yaml", contents: Array("name: ".utf8) + [0xFF, 0xFE])
            writer.addFile("hello.wasm", contents: Fixtures.wasiModule)
            return try writer.archive()
        },
    ]
}

@Suite struct DeployTests {
    @Test(arguments: BadDeploy.all)
    func refusesAndStoresNothing(_ bad: BadDeploy) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { registry.close() }
        let bytes = try bad.make()
        let error = #expect(throws: RegistryError.self) { try registry.deploy(archive: bytes) }
        #expect(error?.code == bad.code, "\(error?.description ?? "-")")
        #expect(error?.message.contains(bad.fragment) == true, "message: \(error?.message ?? "-")")
        #expect(try registry.list().isEmpty)
        #expect(folder.imageFiles().isEmpty, "nothing stored: \(folder.imageFiles())")
    }

    @Test func deploysVersionsAndReadsImagesBack() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { registry.close() }
        let yaml = Fixtures.manifest(extra: "description: first\ncapabilities: { files: [data/] }\n")
        let first = try registry.deploy(archive: try Fixtures.archive(yaml: yaml, files: ["data/a.txt": [1, 2], "junk": [9]]))
        #expect(first.name == "hello" && first.version == 1 && first.digest.count == 64)
        #expect(first.compressedSize > 0 && first.size > Fixtures.wasiModule.count)

        let second = try registry.deploy(archive: try Fixtures.archive(yaml: Fixtures.manifest(extra: "description: second\n")))
        #expect(second.version == 2 && second.digest != first.digest)

        let (version, image) = try registry.image(function: "hello", version: nil)
        #expect(version == 2 && image.manifest.description == "second" && image.module == Fixtures.wasiModule)
        let (old, oldImage) = try registry.image(function: "hello", version: 1)
        #expect(old == 1 && oldImage.files == ["data/a.txt": [1, 2]], "only granted files are kept")
        #expect(oldImage.digest == first.digest)

        let list = try registry.list()
        #expect(list.map(\.name) == ["hello"] && list[0].version == 2 && list[0].description == "second")
        let detail = try #require(try registry.function(named: "hello"))
        #expect(detail.version == 2 && detail.versions.map(\.version) == [1, 2] && detail.manifest.description == "second")
        #expect(try registry.function(named: "nope") == nil)

        #expect(throws: RegistryError(.notFound, "function hello has no version 3")) {
            try registry.image(function: "hello", version: 3)
        }
        #expect(throws: RegistryError(.notFound, "function nope does not exist")) {
            try registry.image(function: "nope", version: nil)
        }
    }

    @Test func rollsBackAndForward() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { registry.close() }
        for index in 1...3 {
            _ = try registry.deploy(archive: try Fixtures.archive(yaml: Fixtures.manifest(extra: "description: v\(index)\n")))
        }
        #expect(try registry.rollback(function: "hello", to: nil).version == 2)
        #expect(try registry.image(function: "hello", version: nil).image.manifest.description == "v2")
        #expect(try registry.rollback(function: "hello", to: nil).version == 1)
        #expect(throws: RegistryError.self) { try registry.rollback(function: "hello", to: nil) }
        #expect(try registry.rollback(function: "hello", to: 3).version == 3)
        #expect(try registry.list()[0].version == 3)
        let missing = #expect(throws: RegistryError.self) { try registry.rollback(function: "hello", to: 7) }
        #expect(missing?.code == .notFound)
        let unknown = #expect(throws: RegistryError.self) { try registry.rollback(function: "nope", to: 1) }
        #expect(unknown?.code == .notFound)
        // A deploy after a rollback takes the next number and becomes current.
        #expect(try registry.deploy(archive: try Fixtures.archive()).version == 4)
        #expect(try registry.function(named: "hello")?.version == 4)
    }

    @Test func storesIdenticalContentOnce() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { registry.close() }
        let archive = try Fixtures.archive()
        let first = try registry.deploy(archive: archive)
        // Same content in a differently built archive (extra ungranted file, folder entry, ./ prefix).
        var writer = ArchiveWriter()
        writer.addDirectory("misc")
        writer.addFile("./hello.wasm", contents: Fixtures.wasiModule)
        writer.addFile("function.yaml", contents: Array(Fixtures.manifest().utf8))
        writer.addFile("misc/readme", contents: Array("ignored".utf8))
        let second = try registry.deploy(archive: try writer.archive(level: 9))
        #expect(second.version == 2 && second.digest == first.digest)
        #expect(folder.imageFiles() == [first.digest + ".img"])
        // Another function with the same image shares the blob too; removing one keeps it.
        let third = try registry.deploy(archive: try Fixtures.archive(yaml: Fixtures.manifest("other")))
        #expect(third.version == 1)
        try registry.remove(function: "other")
        #expect(folder.imageFiles().count == 1)
        try registry.remove(function: "hello")
        #expect(folder.imageFiles().isEmpty)
        #expect(try registry.list().isEmpty)
        let missing = #expect(throws: RegistryError.self) { try registry.remove(function: "hello") }
        #expect(missing?.code == .notFound)
        // A removed name starts again at version 1.
        #expect(try registry.deploy(archive: archive).version == 1)
    }

    @Test func concurrentDeploysOfOneNameGetDenseUniqueVersions() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { registry.close() }
        let archives = try (0..<16).map { index in
            try Fixtures.archive(yaml: Fixtures.manifest(extra: "description: d\(index % 4)\n"))
        }
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for archive in archives {
                group.addTask { try registry.deploy(archive: archive).version }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(versions.sorted() == Array(1...16))
        let detail = try #require(try registry.function(named: "hello"))
        #expect(detail.versions.map(\.version) == Array(1...16))
        #expect(Set(detail.versions.map(\.digest)).count == 4)
        #expect(folder.imageFiles().count == 4)
        for version in 1...16 { _ = try registry.image(function: "hello", version: version) }
    }

    @Test func refusesACorruptImage() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { registry.close() }
        let deployed = try registry.deploy(archive: try Fixtures.archive(files: ["data/x": Array(repeating: 3, count: 5000)]))
        let path = folder.path + "/images/" + deployed.digest + ".img"
        let original = try Data(contentsOf: URL(fileURLWithPath: path))

        // A blob that still decompresses but to different bytes (the right size, a different digest).
        var canonical = try FunctionRegistry.prepare(archive: try Fixtures.archive(), limits: .init()).canonical
        canonical[canonical.count - 1] ^= 1
        let forged = try ZlibCodec.compress(canonical, algorithm: .zlib)
        var blob = Array(original.prefix(5))
        withUnsafeBytes(of: UInt64(canonical.count).littleEndian) { blob += $0 }
        try Data(blob + forged).write(to: URL(fileURLWithPath: path))
        let mismatch = #expect(throws: RegistryError.self) { try registry.image(function: "hello", version: nil) }
        #expect(mismatch?.code == .unavailable && mismatch?.message.contains("no longer match") == true)

        var flipped = [UInt8](original)
        flipped[flipped.count / 2] ^= 0x40
        try Data(flipped).write(to: URL(fileURLWithPath: path))
        let corrupt = #expect(throws: RegistryError.self) { try registry.image(function: "hello", version: nil) }
        #expect(corrupt?.code == .unavailable && corrupt?.message.contains("corrupt") == true)

        try Data(original.prefix(40)).write(to: URL(fileURLWithPath: path))
        #expect(throws: RegistryError.self) { try registry.image(function: "hello", version: nil) }

        try FileManager.default.removeItem(atPath: path)
        let gone = #expect(throws: RegistryError.self) { try registry.image(function: "hello", version: nil) }
        #expect(gone?.code == .unavailable && gone?.message.contains("missing") == true)
    }

    @Test func collectsOrphansAndTemporariesAtStartUp() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let kept: DeployResult
        do {
            let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
            kept = try registry.deploy(archive: try Fixtures.archive())
            registry.close()
        }
        let orphan = String(repeating: "ab", count: 32)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder.path + "/images/\(orphan).img"))
        try Data([4]).write(to: URL(fileURLWithPath: folder.path + "/images/.tmp-\(orphan)-1234"))
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { registry.close() }
        #expect(folder.imageFiles() == [kept.digest + ".img"])
        #expect(try registry.image(function: "hello", version: 1).image.digest == kept.digest)
        #expect(try registry.deploy(archive: try Fixtures.archive()).version == 2, "versions survive a reopen")
    }
}

@Suite struct ImageStoreTests {
    @Test func redeployReplacesABlobThatNoLongerVerifies() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { registry.close() }
        let archive = try Fixtures.archive()
        let first = try registry.deploy(archive: archive)
        let path = folder.path + "/images/" + first.digest + ".img"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: RegistryError.self) { try registry.image(function: "hello", version: 1) }
        #expect(try registry.deploy(archive: archive).digest == first.digest)
        #expect(try registry.image(function: "hello", version: 1).image.digest == first.digest, "healed")
    }

    @Test func refusesDigestsThatAreNotDigests() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try FileImageStore(directory: folder.path)
        #expect(throws: RegistryError.self) { try store.put(digest: "../escape", canonical: [1]) }
        #expect(throws: RegistryError.self) { try store.get(digest: "../../etc/passwd") }
        #expect(!store.contains(digest: "x"))
        let missing = #expect(throws: RegistryError.self) { try store.get(digest: String(repeating: "0", count: 64)) }
        #expect(missing?.code == .notFound)
    }
}
