import Foundation
import SandboxTesting

/// `faas serve` as a child process on 127.0.0.1 and a port of its own choosing.
///
/// Its stdout and stderr go to a file; the port is read from the line it prints when listening.
/// The process is killed (SIGKILL) when the value goes away if nobody stopped it before.
final class FaasServer: Sendable {
    let port: Int
    let data: URL
    let log: URL
    private let child: ChildProcess

    var url: String { "http://127.0.0.1:\(port)" }
    var pid: Int32 { child.pid }

    /// Starts `faas serve --port 0 --data DATA [--token T]` and waits (bounded) until it listens.
    /// `options` are more `serve` options (`--registry URL --node NAME`), `environment` more variables.
    static func start(
        data: URL, token: String? = nil, options: [String] = [], environment: [String: String] = [:],
        in scratch: TemporaryFolder
    ) async throws -> FaasServer {
        let log = scratch.url.appendingPathComponent("serve-\(UUID().uuidString).log")
        let child = try FaasCommand.launch(
            ["serve", "--port", "0", "--data", data.path] + (token.map { ["--token", $0] } ?? []) + options,
            environment: environment, output: .combined(log))
        // On failure `child` goes away here, which kills the server if it still runs.
        let port = try await child.waitForLine(timeout: .seconds(120)) { line -> Int? in
            guard let marker = line.range(of: "faas gateway listening on http://127.0.0.1:") else { return nil }
            let digits = line[marker.upperBound...]
            return digits.allSatisfy(\.isNumber) ? Int(digits) : nil
        }
        return FaasServer(port: port, data: data, log: log, child: child)
    }

    private init(port: Int, data: URL, log: URL, child: ChildProcess) {
        self.port = port
        self.data = data
        self.log = log
        self.child = child
    }

    /// Whether the process has not exited yet (its id is still ours: it has not been reaped).
    var isRunning: Bool { child.isRunning }

    /// Sends `signal` and waits (bounded) for the exit; returns the exit status (negative: killed by that signal).
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async -> Int32? {
        await child.stop(signal: signal, timeout: timeout)
    }

    /// The server's log so far (for failure messages).
    var output: String { child.output }

    /// Resident memory of the server process, from /proc.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw ServerFailure("no VmRSS in /proc/\(pid)/status") }
        return kib * 1024
    }
}

struct ServerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
