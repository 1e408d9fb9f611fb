import Foundation
import Synchronization
import Testing

/// `faas serve` as a child process on 127.0.0.1 and a port of its own choosing.
///
/// Its stdout and stderr go to a file; the port is read from the line it prints when listening.
/// The process is killed (SIGKILL) when the value goes away if nobody stopped it before.
final class FaasServer: Sendable {
    let port: Int
    let pid: Int32
    let data: URL
    let log: URL
    private let state: ExitState
    private let child: RetainedProcess

    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts `faas serve --port 0 --data DATA [--token T]` and waits (bounded) until it listens.
    static func start(data: URL, token: String? = nil, in scratch: TemporaryFolder) async throws -> FaasServer {
        let binary = Faas.executable
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build faas first: \(binary.path)")
        let log = scratch.url.appendingPathComponent("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--data", data.path] + (token.map { ["--token", $0] } ?? [])
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FAAS_TOKEN")
        env.removeValue(forKey: "FAAS_DATA")
        process.environment = env
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let state = ExitState()
        process.terminationHandler = { finished in
            let status = finished.terminationReason == .exit ? finished.terminationStatus : -finished.terminationStatus
            state.status.withLock { $0 = status }
        }
        try process.run()
        let pid = process.processIdentifier
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let text = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
            if let range = text.range(of: "faas gateway listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).first == "\n" {
                    return FaasServer(
                        port: port, pid: pid, data: data, log: log, state: state, child: RetainedProcess(process))
                }
            }
            if let status = state.status.withLock({ $0 }) {
                throw ServerFailure("faas serve exited (\(status)) before listening:\n\(text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        throw ServerFailure("faas serve did not listen within 120 s")
    }

    private init(port: Int, pid: Int32, data: URL, log: URL, state: ExitState, child: RetainedProcess) {
        self.port = port
        self.pid = pid
        self.data = data
        self.log = log
        self.state = state
        self.child = child
    }

    /// Whether the process has not exited yet (its id is still ours: it has not been reaped).
    var isRunning: Bool { state.status.withLock { $0 } == nil }

    /// Sends `signal` and waits (bounded) for the exit; returns the exit status (negative: killed by that signal).
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async -> Int32? {
        if isRunning { kill(pid, signal) }
        let deadline = ContinuousClock.now + timeout
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return state.status.withLock { $0 }
    }

    /// The server's log so far (for failure messages).
    var output: String { String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self) }

    /// Resident memory of the server process, from /proc.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw ServerFailure("no VmRSS in /proc/\(pid)/status") }
        return kib * 1024
    }

    deinit {
        if isRunning { kill(pid, SIGKILL) }
    }
}

/// The exit status of a child once it has ended (negative: the signal that killed it).
final class ExitState: Sendable {
    let status = Mutex<Int32?>(nil)
}

/// Keeps the `Process` object alive as long as the server value.
final class RetainedProcess: @unchecked Sendable {
    // @unchecked: the process is never touched again after `run()`; this only holds a reference.
    private let process: Process
    init(_ process: Process) { self.process = process }
}

struct ServerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
