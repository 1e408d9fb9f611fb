/// Why an example of `functions/` could not be found, built or read.
public struct ExamplesError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with the path or the build script's output.
    public var message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
