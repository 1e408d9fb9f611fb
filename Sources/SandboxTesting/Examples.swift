public import Foundation
import Synchronization
public import Sandbox

/// The example functions of `functions/`, built by `functions/build.sh`, for tests and benchmarks.
///
/// Paths are found from this file's location in the package, so they work from any working
/// directory. The first request for an example in a process runs `functions/build.sh NAME` (which
/// rebuilds only what changed), so tests always see modules built from the current sources and a
/// fresh checkout needs no separate build step.
///
/// ```swift
/// let module = try Examples.module(named: "hello")      // functions/build/hello/hello.wasm
/// let archive = try Examples.archive(named: "hello")    // functions/build/hello.tar.gz
/// ```
public enum Examples {
    /// The package root: the folder holding `Package.swift`.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SandboxTesting
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()

    /// `functions/`: the examples' sources, one folder per function.
    public static let functionsDirectory: URL = packageRoot.appendingPathComponent("functions")

    /// The names of all examples: the folders of `functions/` that hold a `function.yaml`, sorted.
    public static var names: [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: functionsDirectory.path)) ?? []
        return entries.filter { name in
            FileManager.default.fileExists(
                atPath: functionsDirectory.appendingPathComponent(name).appendingPathComponent("function.yaml").path)
        }.sorted()
    }

    /// The example's source folder, `functions/NAME` (holds `function.yaml`; `faas deploy` takes it).
    ///
    /// - Throws: `ExamplesError` when there is no such example.
    public static func sourceDirectory(named name: String) throws(ExamplesError) -> URL {
        let folder = functionsDirectory.appendingPathComponent(name)
        guard isExampleName(name),
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("function.yaml").path)
        else {
            throw ExamplesError("no example named '\(name)' in \(functionsDirectory.path)")
        }
        return folder
    }

    /// The example's build folder, `functions/build/NAME`, holding `NAME.wasm`; built if needed.
    ///
    /// - Throws: `ExamplesError` when there is no such example or it does not build.
    public static func directory(named name: String) throws(ExamplesError) -> URL {
        try build(name)
        return functionsDirectory.appendingPathComponent("build").appendingPathComponent(name)
    }

    /// The bytes of `functions/build/NAME/NAME.wasm`, built if needed.
    ///
    /// - Throws: `ExamplesError` when there is no such example, it does not build, or it cannot be read.
    public static func module(named name: String) throws(ExamplesError) -> [UInt8] {
        try read(directory(named: name).appendingPathComponent("\(name).wasm"))
    }

    /// The bytes of `functions/build/NAME.tar.gz` (a deployable `fn.tar.gz`), built if needed.
    ///
    /// - Throws: `ExamplesError` when there is no such example, it does not build, or it cannot be read.
    public static func archive(named name: String) throws(ExamplesError) -> [UInt8] {
        try build(name)
        return try read(functionsDirectory.appendingPathComponent("build").appendingPathComponent("\(name).tar.gz"))
    }

    /// The names of the examples with a module of their own (`module:` in `function.yaml`); the
    /// others run on a platform runtime (`runtime: js`).
    public static var moduleNames: [String] {
        names.filter { name in
            let manifest = functionsDirectory.appendingPathComponent(name).appendingPathComponent("function.yaml")
            let text = (try? String(contentsOf: manifest, encoding: .utf8)) ?? ""
            return !text.split(separator: "\n").contains { $0.hasPrefix("runtime:") }
        }
    }

    /// The platform's JavaScript runtime, `functions/build/runtime/js.wasm`, built (once per process,
    /// by `functions/runtime/js/build.sh`, which fetches the engine's sources the first time) if needed.
    ///
    /// - Throws: `ExamplesError` when it does not build or cannot be read.
    public static func javaScriptRuntime() throws(ExamplesError) -> [UInt8] {
        try upToDate.withLock { (done: inout Set<String>) throws(ExamplesError) in
            if done.contains(runtimeKey) { return }
            try runScript(functionsDirectory.appendingPathComponent("runtime/js/build.sh"), arguments: [])
            done.insert(runtimeKey)
        }
        return try read(functionsDirectory.appendingPathComponent("build/runtime/js.wasm"))
    }

    /// The platform runtimes, for a `SchedulerConfiguration`.
    public static func runtimes() throws(ExamplesError) -> [GuestRuntime: [UInt8]] {
        [.js: try javaScriptRuntime()]
    }

    private static let runtimeKey = "/runtime/js"

    /// The bytes of a file of the example's source folder, e.g. `data/capitals.tsv` of `lookup`.
    ///
    /// - Throws: `ExamplesError` when there is no such example or file.
    public static func file(_ path: String, of name: String) throws(ExamplesError) -> [UInt8] {
        try read(sourceDirectory(named: name).appendingPathComponent(path))
    }

    // MARK: - Building

    /// Examples already brought up to date by this process. Held while building, so two tests
    /// asking for the same example at once wait for one build instead of racing two.
    private static let upToDate = Mutex<Set<String>>([])

    private static func isExampleName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Runs `functions/build.sh NAME` once per process per example (the script skips what is up to date).
    private static func build(_ name: String) throws(ExamplesError) {
        _ = try sourceDirectory(named: name)
        try upToDate.withLock { (done: inout Set<String>) throws(ExamplesError) in
            if done.contains(name) { return }
            try runBuildScript(name)
            done.insert(name)
        }
    }

    private static func runBuildScript(_ name: String) throws(ExamplesError) {
        try runScript(functionsDirectory.appendingPathComponent("build.sh"), arguments: [name])
    }

    private static func runScript(_ script: URL, arguments: [String]) throws(ExamplesError) {
        let name = ([script.lastPathComponent] + arguments).joined(separator: " ")
        let log: URL
        let pid: pid_t
        let folder: TemporaryFolder
        do {
            folder = try TemporaryFolder(prefix: "faas-build")
            log = folder.url.appendingPathComponent("log")
            pid = try Spawn.start(
                "/bin/bash", [script.path] + arguments, environment: ProcessInfo.processInfo.environment,
                directory: packageRoot.path, streams: .init(input: "/dev/null", output: log.path, error: nil))
        } catch {
            throw ExamplesError("cannot run \(script.path): \(error)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        guard status == 0 else {
            let output = (try? Data(contentsOf: log)) ?? Data()
            throw ExamplesError("\(name) failed (wait status \(status)):\n" + String(decoding: output, as: UTF8.self))
        }
        withExtendedLifetime(folder) {}
    }

    private static func read(_ url: URL) throws(ExamplesError) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw ExamplesError("cannot read \(url.path): \(error)")
        }
    }
}
