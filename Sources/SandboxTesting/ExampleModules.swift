public import Foundation

/// Locates the bundled example functions (`functions/NAME`) and their built modules, and compiles small C
/// guests with the toolchain's clang and Debian's wasi-libc for tests and benchmarks.
public enum ExampleModules {
    /// The package's `functions/` folder.
    public static var functionsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("functions")
    }

    /// The built module of example `name` (`functions/NAME/NAME.wasm`), or nil when it was not built.
    public static func module(named name: String) -> [UInt8]? {
        let url = functionsDirectory.appendingPathComponent(name).appendingPathComponent("\(name).wasm")
        return (try? Data(contentsOf: url)).map { [UInt8]($0) }
    }

    /// The C compiler that targets wasm32-wasi.
    public static let clang = "/opt/swift/usr/bin/clang"

    public struct CompileError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Compiles the C program `source` to a module. `reactor` builds an `iv` reactor exporting `iv_main` (and
    /// `iv_init` when defined); otherwise a WASI command.
    public static func compileC(_ source: String, reactor: Bool = false, exports: [String] = []) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cvm-guest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("guest.c")
        let output = directory.appendingPathComponent("guest.wasm")
        try source.write(to: input, atomically: true, encoding: .utf8)
        var arguments = ["--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-nodefaultlibs", "-lc", "-o", output.path, input.path]
        if reactor { arguments += ["-mexec-model=reactor"] }
        arguments += exports.map { "-Wl,--export=\($0)" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: clang)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CompileError(description: "clang failed: \(String(decoding: message, as: UTF8.self))")
        }
        return [UInt8](try Data(contentsOf: output))
    }

    /// C sources of the guests the benchmarks and tests use when `functions/` is not built.
    public enum Sources {
        public static let hello = """
            #include <stdio.h>
            int main(void) { printf("Hello, world!\\n"); return 0; }
            """
        public static let noop = """
            __attribute__((export_name("iv_main"))) int iv_main(void) { return 0; }
            """
        public static let fib = """
            __attribute__((import_module("intravisor"), import_name("response_write"))) int response_write(const void *, int);
            static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
            __attribute__((export_name("iv_main"))) int iv_main(void) {
                unsigned r = fib(27);
                response_write(&r, sizeof r);
                return 0;
            }
            """
    }
}
