/// Why a child process could not be started, or did not print what was awaited.
public struct ChildProcessError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with the program's path or what it printed.
    public var message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
