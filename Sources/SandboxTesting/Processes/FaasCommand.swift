public import Foundation

/// The built `faas` executable, run as a user would run it.
///
/// The child never inherits `FAAS_GATEWAY`, `FAAS_TOKEN` or `FAAS_DATA` from the test process:
/// a test sets them through `environment` when it means to, so a developer's shell cannot change
/// what a test sees.
public enum FaasCommand {
    /// The variables of the test process that `faas` would read, not passed on.
    public static let isolatedVariables = ["FAAS_GATEWAY", "FAAS_TOKEN", "FAAS_DATA", "FAAS_REGISTRY", "FAAS_NODE"]

    /// `faas` beside the test bundle (`swift build --build-tests` builds every product into the
    /// same folder), or else `.build/debug/faas` of the package.
    public static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("faas")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return Examples.packageRoot.appendingPathComponent(".build/debug/faas")
    }

    /// Runs `faas ARGUMENTS` to completion (killed past `timeout`) and returns its status and output.
    ///
    /// - Parameters:
    ///   - environment: variables set for the child, e.g. `FAAS_GATEWAY`.
    ///   - input: its standard input; nil: `/dev/null`.
    ///   - directory: its working directory; nil: the test process's.
    /// - Throws: ``ChildProcessError`` when `faas` is not built or cannot be started.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], input: Data? = nil, directory: URL? = nil,
        timeout: Duration = .seconds(90)
    ) async throws(ChildProcessError) -> ProcessResult {
        try await ChildProcess.run(
            builtExecutable(), arguments, environment: environment, unsetting: isolatedVariables, input: input,
            directory: directory, timeout: timeout)
    }

    /// Starts `faas ARGUMENTS` and returns at once (e.g. `faas serve`).
    ///
    /// - Throws: ``ChildProcessError`` when `faas` is not built or cannot be started.
    public static func launch(
        _ arguments: [String], environment: [String: String] = [:], output: ChildProcess.Output = .separate
    ) throws(ChildProcessError) -> ChildProcess {
        try ChildProcess.launch(
            builtExecutable(), arguments, environment: environment, unsetting: isolatedVariables, output: output)
    }

    private static func builtExecutable() throws(ChildProcessError) -> URL {
        let binary = executable
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ChildProcessError("build faas first: \(binary.path)")
        }
        return binary
    }
}
