import Foundation
import Synchronization
import Testing

/// What a finished child process left behind.
struct ProcessResult: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: Data

    var output: String { String(decoding: stdout, as: UTF8.self) }
    var errors: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs programs to completion with their output in files (never pipes, which fill up and block).
enum ChildProcess {
    /// Runs `executable` with `arguments`; stdin is `input`. Kills it if it outlives `timeout`.
    static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], input: Data = Data(),
        directory: URL? = nil, timeout: Duration = .seconds(90)
    ) async throws -> ProcessResult {
        let scratch = try TemporaryFolder(prefix: "faas-e2e-run")
        let out = scratch.url.appendingPathComponent("stdout")
        let err = scratch.url.appendingPathComponent("stderr")
        let stdin = scratch.url.appendingPathComponent("stdin")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        try input.write(to: stdin)

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FAAS_GATEWAY")
        env.removeValue(forKey: "FAAS_TOKEN")
        env.merge(environment) { $1 }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = try FileHandle(forReadingFrom: stdin)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            let killer = Deadline(timeout)
            process.terminationHandler = {
                killer.disarm()
                continuation.resume(returning: $0.terminationStatus)
            }
            do {
                try process.run()
                // A hung child must not hang the suite: it is killed past its deadline.
                killer.arm(pid: process.processIdentifier)
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return ProcessResult(
            status: status, stdout: (try? Data(contentsOf: out)) ?? Data(),
            stderr: (try? Data(contentsOf: err)) ?? Data())
    }
}

/// The built `faas` executable, run as a user would.
enum Faas {
    /// `faas` beside the test bundle: `swift build --build-tests` builds every product into the same folder.
    static var executable: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("faas")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/faas")
    }

    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs one client command against `server` (its URL and token come from the environment, as a user sets them).
    static func run(
        _ arguments: [String], against server: FaasServer? = nil, token: String? = nil, input: Data = Data()
    ) async throws -> ProcessResult {
        try #require(
            FileManager.default.isExecutableFile(atPath: executable.path), "build faas first: \(executable.path)")
        var environment: [String: String] = [:]
        if let server { environment["FAAS_GATEWAY"] = server.url }
        if let token { environment["FAAS_TOKEN"] = token }
        return try await ChildProcess.run(executable, arguments, environment: environment, input: input)
    }
}

/// A folder under the system's temporary directory, removed when the value goes away.
final class TemporaryFolder: Sendable {
    let url: URL

    init(prefix: String = "faas-e2e") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A new empty subfolder.
    func folder(_ name: String) throws -> URL {
        let folder = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Kills one child process (by its id) if it is still running when the timeout passes.
final class Deadline: Sendable {
    private let state = Mutex<(pid: Int32?, task: Task<Void, Never>?, disarmed: Bool)>((nil, nil, false))
    private let timeout: Duration

    init(_ timeout: Duration) { self.timeout = timeout }

    func arm(pid: Int32) {
        let timeout = self.timeout
        let task = Task.detached { [self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            state.withLock { state in
                if !state.disarmed, let pid = state.pid { kill(pid, SIGKILL) }
            }
        }
        state.withLock { state in
            if state.disarmed {
                task.cancel()
            } else {
                state.pid = pid
                state.task = task
            }
        }
    }

    func disarm() {
        state.withLock { state in
            state.disarmed = true
            state.task?.cancel()
        }
    }
}
