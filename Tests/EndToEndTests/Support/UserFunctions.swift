import Foundation
import SandboxTesting

/// Function folders a user would write: `function.yaml` and a module, ready for `faas deploy` or `faas pack`.
enum UserFunctions {
    /// Writes `function.yaml` (name, module, abi, then `settings` lines) and `NAME.wasm` into `parent/NAME`.
    @discardableResult
    static func folder(
        _ name: String, module: [UInt8], abi: String = "iv", settings: [String] = [], in parent: URL
    ) throws -> URL {
        let folder = parent.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let manifest =
            (["name: \(name)", "module: \(name).wasm", "abi: \(abi)"] + settings).joined(separator: "\n") + "\n"
        try Data(manifest.utf8).write(to: folder.appendingPathComponent("function.yaml"))
        try Data(module).write(to: folder.appendingPathComponent("\(name).wasm"))
        return folder
    }

    /// A copy of example `name` as a user would have it after building: its `function.yaml`, with `settings`
    /// appended as lines, and its module.
    static func example(_ name: String, settings: [String] = [], in parent: URL) throws -> URL {
        let folder = parent.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let added = settings.map { Array(($0 + "\n").utf8) }.joined()
        try Data(Examples.file("function.yaml", of: name) + added).write(to: folder.appendingPathComponent("function.yaml"))
        try Data(Examples.module(named: name)).write(to: folder.appendingPathComponent("\(name).wasm"))
        return folder
    }

    /// An `iv` guest that answers `text`.
    static func constant(_ text: String) throws -> [UInt8] {
        try GuestFixtures.wasm(GuestFixtures.constant(text))
    }

    /// An `iv` guest that writes `bytes` zero bytes of response at once (needs that much memory).
    static func large(bytes: Int) throws -> [UInt8] {
        let pages = bytes / 65536 + 1
        return try GuestFixtures.wasm(
            """
            (module
              (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
              (memory (export "memory") \(pages))
              (func (export "iv_main") (result i32)
                (drop (call $write (i32.const 0) (i32.const \(bytes))))
                (i32.const 0)))
            """)
    }

    /// An `iv` guest busy for about `milliseconds` by the monotonic clock (needs `clock: true`), then answers "done".
    static func busy(milliseconds: Int) throws -> [UInt8] {
        try GuestFixtures.wasm(GuestFixtures.busy(milliseconds: milliseconds))
    }
}
