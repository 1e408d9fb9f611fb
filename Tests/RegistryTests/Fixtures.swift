import Foundation
import Logging
import Registry
import WAT

/// Real WebAssembly modules and archives for the registry tests.
enum Fixtures {
    static let wasiModuleText = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start")))
        """
    static let ivModuleText = """
        (module
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "iv_main") (result i32) (i32.const 0)))
        """
    static let ivClockModuleText = """
        (module
          (import "intravisor" "clock_ns" (func $clock (param i32) (result i64)))
          (memory (export "memory") 1)
          (func (export "iv_main") (result i32) (i32.const 0)))
        """

    static let wasiModule: [UInt8] = try! wat2wasm(wasiModuleText)
    static let wasiModuleWithoutImports: [UInt8] = try! wat2wasm(
        #"(module (memory (export "memory") 1) (func (export "_start")))"#)
    static let ivModule: [UInt8] = try! wat2wasm(ivModuleText)
    static let ivClockModule: [UInt8] = try! wat2wasm(ivClockModuleText)

    static func manifest(_ name: String = "hello", extra: String = "") -> String {
        "name: \(name)\nmodule: hello.wasm\n" + extra
    }

    /// A valid archive: `function.yaml`, the module and optional data files.
    static func archive(
        yaml: String = manifest(), module: [UInt8] = wasiModule, files: [String: [UInt8]] = [:]
    ) throws -> [UInt8] {
        var writer = ArchiveWriter()
        writer.addFile("function.yaml", contents: Array(yaml.utf8))
        writer.addFile("hello.wasm", contents: module)
        for (path, bytes) in files.sorted(by: { $0.key < $1.key }) { writer.addFile(path, contents: bytes) }
        return try writer.archive()
    }

    static func gzip(_ tar: [UInt8]) throws -> [UInt8] {
        try ZlibCodec.compress(tar, algorithm: .gzip)
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "registry-tests")
        logger.logLevel = .critical
        return logger
    }
}

/// A fresh temporary folder, deleted by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("registry-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Names in `images/` (blobs and temporaries).
    func imageFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path + "/images")) ?? []).sorted()
    }
}
