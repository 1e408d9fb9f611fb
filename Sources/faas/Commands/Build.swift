import ArgumentParser
import Foundation
import Registry

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the build: command of a folder's function.yaml (faas deploy DIR runs it too).",
        discussion: """
            The command runs with sh in the folder, with the Swift toolchain's bin folder (clang,
            wasm-ld) first on PATH when it is at /opt/swift.

            Example:
              faas build greet
            """)

    @Argument(help: "A folder holding function.yaml.")
    var directory: String

    func run() throws {
        if try !BuildStep.run(in: directory) {
            Output.line("\(directory)/function.yaml has no build: command; nothing to do")
        }
    }
}

/// Runs a folder's `build:` command.
enum BuildStep {
    static let toolchain = "/opt/swift/usr/bin"

    /// Runs the `build:` of `directory/function.yaml`, its output passed through.
    /// - Returns: false when the manifest has no `build:`.
    /// - Throws: ``ClientFailure`` when the manifest cannot be read or the command fails.
    @discardableResult
    static func run(in directory: String) throws(ClientFailure) -> Bool {
        let path = (directory as NSString).appendingPathComponent(Manifest.fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientFailure("\(directory) holds no \(Manifest.fileName)")
        }
        let manifest: Manifest
        do {
            manifest = try Manifest.parse(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw ClientFailure("\(path): \(error.message)")
        }
        guard let command = manifest.build else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        if FileManager.default.fileExists(atPath: toolchain + "/clang") {
            environment["PATH"] = toolchain + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        }
        process.environment = environment
        do {
            try process.run()
        } catch {
            throw ClientFailure("cannot run the build of \(directory): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientFailure("the build of \(directory) failed with status \(process.terminationStatus): \(command)")
        }
        return true
    }
}
