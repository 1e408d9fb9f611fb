import Foundation
import Testing
import WAT
import WasmKit

@testable import Sandbox

/// The rewrite on the modules C compilers emit: a mutable `__stack_pointer` global the module does not
/// export, which an exit in the middle of a call leaves moved.
@Suite struct RewriteCompiledModuleTests {
    @Test func restoresAStackPointerLeftMovedByAnAbortedCall() throws {
        let module = try wat2wasm(
            """
            (module
              (memory (export "memory") 2)
              (global $__stack_pointer (mut i32) (i32.const 65536))
              (func (export "leave")
                global.get $__stack_pointer
                i32.const 1024
                i32.sub
                global.set $__stack_pointer
                unreachable)
              (func (export "depth") (result i32) global.get $__stack_pointer))
            """)
        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
        #expect(exported == ["__cvm_global_0"])
        let instance = try parseWasm(bytes: bytes).instantiate(store: Store(engine: Engine()))
        let stackPointer = try #require(instance.exports[global: "__cvm_global_0"])
        let snapshot = stackPointer.value
        #expect(throws: (any Error).self) { try instance.exports[function: "leave"]?.invoke() }
        #expect(try instance.exports[function: "depth"]?.invoke() == [.i32(65536 - 1024)])
        try stackPointer.assign(snapshot)
        #expect(try instance.exports[function: "depth"]?.invoke() == [.i32(65536)])
    }

    @Test func exportsTheStackPointerOfACompiledReactor() throws {
        let source = """
            __attribute__((noinline)) static int sum(volatile int *values, int count) {
                int total = 0;
                for (int i = 0; i < count; i++) total += values[i];
                return total;
            }
            __attribute__((export_name("work"))) int work(int n) {
                volatile int buffer[32];
                for (int i = 0; i < 32; i++) buffer[i] = i * n;
                return sum(buffer, 32);
            }
            """
        let module = try CCompiler.compile(source, flags: ["--target=wasm32", "-nostdlib", "-Wl,--no-entry", "-O1"])
        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
        #expect(exported.contains("__cvm_global_0"))
        let instance = try parseWasm(bytes: bytes).instantiate(store: Store(engine: Engine()))
        let stackPointer = try #require(instance.exports[global: "__cvm_global_0"])
        guard case .i32(let initial) = stackPointer.value else {
            Issue.record("__stack_pointer is not an i32: \(stackPointer.value)")
            return
        }
        #expect(initial > 0)
        let work = try #require(instance.exports[function: "work"])
        #expect(try work([.i32(2)]) == [.i32(992)])
        #expect(stackPointer.value == .i32(initial))
        // The guest really uses the exported global as its stack: a moved stack still works, and stays moved.
        try stackPointer.assign(.i32(initial - 256))
        #expect(try work([.i32(1)]) == [.i32(496)])
        #expect(stackPointer.value == .i32(initial - 256))
    }

    @Test func rewritesAWASICommandThatStillValidates() throws {
        let source = """
            #include <stdio.h>
            #include <string.h>
            static int counter;
            int main(void) {
                char line[64];
                snprintf(line, sizeof line, "%d", ++counter);
                printf("%s %zu\\n", line, strlen(line));
                return 0;
            }
            """
        let module = try CCompiler.compile(
            source, flags: ["--target=wasm32-wasi", "--sysroot=/usr", "-nodefaultlibs", "-lc", "-O1"])
        try ModuleValidation.validate(module: module, abi: .wasi, grants: .none)
        let (bytes, exported) = try ModuleRewriter.exportingMutableGlobals(module)
        #expect(exported.first == "__cvm_global_0")
        try ModuleValidation.validate(module: bytes, abi: .wasi, grants: .none)
        let names = try parseWasm(bytes: bytes).exports.map(\.name)
        #expect(names.contains("_start") && names.contains("memory"))
        #expect(Set(exported).isSubset(of: Set(names)))
        #expect(try RewriteTests.sectionsOutsideExports(bytes) == RewriteTests.sectionsOutsideExports(module))
    }
}

/// Compiles C to WebAssembly with the toolchain's clang (`CLANG`, else `/opt/swift/usr/bin/clang`, else
/// `clang` on the `PATH`), into a fresh temporary directory.
enum CCompiler {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func clang() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        var candidates = [environment["CLANG"], "/opt/swift/usr/bin/clang"].compactMap { $0 }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/clang")
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: "no clang found (set CLANG); the C-module tests need the toolchain's clang")
        }
        return found
    }

    static func compile(_ source: String, flags: [String]) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cvm-rewrite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("module.c")
        let output = directory.appendingPathComponent("module.wasm")
        try source.write(to: input, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try clang())
        process.arguments = flags + ["-o", output.path, input.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "clang failed: \(String(decoding: message, as: UTF8.self))")
        }
        return Array(try Data(contentsOf: output))
    }
}
