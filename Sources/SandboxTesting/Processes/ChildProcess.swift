public import Foundation

/// A program running as a child process, its standard output and error going to files.
///
/// Output goes to files, never to pipes: a pipe that nobody drains fills up and blocks the child,
/// and draining two of them takes threads. A file can be read at any moment, while the child runs
/// or after. Standard input is `/dev/null` or a file holding the bytes given.
///
/// ```swift
/// // Run to completion (killed if it outlives the timeout):
/// let listing = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["tar", "-tzf", path])
///
/// // Start a server, wait for the line that names its port, stop it:
/// let server = try ChildProcess.launch(program, ["serve", "--port", "0"], output: .combined(log))
/// let port = try await server.waitForLine(timeout: .seconds(120)) { line in
///     line.hasPrefix("listening on ") ? Int(line.dropFirst(13)) : nil
/// }
/// let status = await server.stop()  // SIGTERM; nil if it has not exited within the timeout
/// ```
///
/// The child is killed (SIGKILL) when the value goes away while it still runs.
public final class ChildProcess: Sendable {
    /// Where the child's standard output and standard error go.
    public enum Output: Sendable {
        /// Two files of a temporary folder of the child's own, removed when the value goes away.
        case separate
        /// Both streams into `file`, which is created (or emptied) first and is left in place.
        case combined(URL)
    }

    /// The child's process id. It is the child's as long as ``isRunning`` holds (it is reaped on exit).
    public let pid: Int32
    /// The file holding what the child writes to standard output.
    public let standardOutput: URL
    /// The file holding what the child writes to standard error (``standardOutput`` with `.combined`).
    public let standardError: URL

    private let exit: ExitWatch
    /// Holds the output files of `.separate` and the standard input file.
    private let scratch: TemporaryFolder
    /// The program's file name, for messages.
    private let name: String

    /// Starts `executable` with `arguments` and returns at once.
    ///
    /// - Parameters:
    ///   - environment: variables set for the child, over those of this process.
    ///   - unsetting: variables of this process not passed on to the child (applied before `environment`).
    ///   - input: the child's standard input; nil: `/dev/null`.
    ///   - directory: the child's working directory; nil: this process's.
    ///   - output: where standard output and standard error go.
    /// - Throws: ``ChildProcessError`` when the files cannot be made or the program cannot be started.
    public static func launch(
        _ executable: URL, _ arguments: [String] = [], environment: [String: String] = [:], unsetting: [String] = [],
        input: Data? = nil, directory: URL? = nil, output: Output = .separate
    ) throws(ChildProcessError) -> ChildProcess {
        let scratch: TemporaryFolder
        let stdout: URL
        let stderr: URL
        let stdin: String
        do {
            scratch = try TemporaryFolder(prefix: "faas-child")
            switch output {
            case .separate:
                stdout = scratch.url.appendingPathComponent("stdout")
                stderr = scratch.url.appendingPathComponent("stderr")
                _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
            case .combined(let file):
                stdout = file
                stderr = file
            }
            _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
            if let input {
                let file = scratch.url.appendingPathComponent("stdin")
                try input.write(to: file)
                stdin = file.path
            } else {
                stdin = "/dev/null"
            }
        } catch {
            throw ChildProcessError("cannot set up the files of \(executable.path): \(error)")
        }

        var variables = ProcessInfo.processInfo.environment
        for name in unsetting { variables.removeValue(forKey: name) }
        variables.merge(environment) { $1 }
        let pid = try Spawn.start(
            executable.path, arguments, environment: variables, directory: directory?.path,
            streams: .init(input: stdin, output: stdout.path, error: stderr == stdout ? nil : stderr.path))
        let exit = ExitWatch()
        Spawn.watch(pid) { status in exit.finish(status) }
        return ChildProcess(
            pid: pid, standardOutput: stdout, standardError: stderr, exit: exit, scratch: scratch,
            name: executable.lastPathComponent)
    }

    /// Runs `executable` to completion and returns its status and output.
    ///
    /// A hung child must not hang the tests: past `timeout` it is killed (SIGKILL), and the result
    /// says so (status `-9`).
    ///
    /// - Parameters: as ``launch(_:_:environment:unsetting:input:directory:output:)``.
    /// - Throws: ``ChildProcessError`` when the program cannot be started.
    public static func run(
        _ executable: URL, _ arguments: [String] = [], environment: [String: String] = [:], unsetting: [String] = [],
        input: Data? = nil, directory: URL? = nil, timeout: Duration = .seconds(90)
    ) async throws(ChildProcessError) -> ProcessResult {
        let child = try launch(
            executable, arguments, environment: environment, unsetting: unsetting, input: input, directory: directory)
        var status = await child.waitForExit(timeout: timeout)
        if status == nil {
            child.send(SIGKILL)
            status = await child.waitForExit()
        }
        return ProcessResult(status: status ?? -SIGKILL, stdout: child.outputData, stderr: child.errorData)
    }

    private init(
        pid: Int32, standardOutput: URL, standardError: URL, exit: ExitWatch, scratch: TemporaryFolder, name: String
    ) {
        self.pid = pid
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.exit = exit
        self.scratch = scratch
        self.name = name
    }

    // MARK: - Exit

    /// How the child ended: its exit code, or minus the number of the signal that ended it; nil while it runs.
    public var exitStatus: Int32? { exit.status }

    /// Whether the child has not exited yet (its ``pid`` is still its own).
    public var isRunning: Bool { exit.status == nil }

    /// Sends `signal` to the child if it still runs (signal 0 sends nothing).
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits until the child exits, at most `timeout` (nil: as long as it takes).
    ///
    /// - Returns: ``exitStatus``; nil when the timeout passed first.
    public func waitForExit(timeout: Duration? = nil) async -> Int32? {
        await exit.wait(timeout: timeout)
    }

    /// Sends `signal` (if the child still runs) and waits at most `timeout` for it to exit.
    ///
    /// - Returns: ``exitStatus``; nil when the child still runs after `timeout`.
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async -> Int32? {
        send(signal)
        return await waitForExit(timeout: timeout)
    }

    // MARK: - Output

    /// All the child has written to standard output so far.
    public var outputData: Data { (try? Data(contentsOf: standardOutput)) ?? Data() }
    /// All the child has written to standard error so far.
    public var errorData: Data { (try? Data(contentsOf: standardError)) ?? Data() }
    /// ``outputData`` as UTF-8 text (invalid bytes replaced).
    public var output: String { String(decoding: outputData, as: UTF8.self) }
    /// ``errorData`` as UTF-8 text (invalid bytes replaced).
    public var errors: String { String(decoding: errorData, as: UTF8.self) }

    /// Waits until the child has written a whole line (ended by a newline) of standard output for
    /// which `match` gives a value, and returns that value; the file is read every `interval`.
    ///
    /// With `.combined` output, lines of standard error count too. `match` sees each line without
    /// its newline; lines are tried in order, so the first line that matches wins.
    ///
    /// - Throws: ``ChildProcessError`` (holding the output so far) when the child exits first or
    ///   `timeout` passes first; `CancellationError` when the task is cancelled. The child is left
    ///   running in every case.
    public func waitForLine<T>(
        timeout: Duration, every interval: Duration = .milliseconds(50), _ match: (Substring) -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            // The status is read before the output, so all a child printed before exiting is seen.
            let status = exitStatus
            let text = output
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                if let found = match(line) { return found }
            }
            if let status {
                throw ChildProcessError(
                    "\(name) exited (\(status)) before printing "
                        + "the line awaited:\n\(text)")
            }
            if ContinuousClock.now >= deadline {
                throw ChildProcessError(
                    "\(name) did not print the line awaited "
                        + "within \(timeout):\n\(text)")
            }
            try await Task.sleep(for: interval)
        }
    }

    deinit {
        if isRunning { kill(pid, SIGKILL) }
    }
}
