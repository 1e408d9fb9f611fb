import Foundation
import SandboxTesting

/// The example modules as `functions/build.sh` builds them (`functions/build/NAME/NAME.wasm`), so the
/// benchmarks run the very modules the gateway serves and the peers of docs/BENCHMARKS.md run.
enum BuiltExample {
    /// The built module of example `name` and where it came from; falls back to SandboxTesting's module or
    /// its minimal C source when the examples were not built.
    static func module(named name: String, fallback: () throws -> [UInt8]) throws -> [UInt8] {
        let url = ExampleModules.functionsDirectory.appendingPathComponent("build").appendingPathComponent(name)
            .appendingPathComponent("\(name).wasm")
        if let data = try? Data(contentsOf: url) {
            print("module \(name): functions/build/\(name)/\(name).wasm (\(data.count) bytes)")
            return [UInt8](data)
        }
        let module = try ExampleModules.module(named: name) ?? fallback()
        print("module \(name): minimal built-in source (\(module.count) bytes); run functions/build.sh for the real one")
        return module
    }
}
