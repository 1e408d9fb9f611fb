public import Foundation

/// What a finished child process left behind: how it ended and all it printed.
public struct ProcessResult: Sendable {
    /// The exit code; negative when a signal ended the process (`-9`: SIGKILL).
    public var status: Int32
    /// All it wrote to standard output.
    public var stdout: Data
    /// All it wrote to standard error.
    public var stderr: Data

    /// A result with these parts.
    public init(status: Int32, stdout: Data, stderr: Data) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Standard output as UTF-8 text (invalid bytes replaced).
    public var output: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as UTF-8 text (invalid bytes replaced).
    public var errors: String { String(decoding: stderr, as: UTF8.self) }
}
