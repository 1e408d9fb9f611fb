import ArgumentParser
import Foundation

struct Pack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make fn.tar.gz from a folder holding function.yaml.",
        discussion: """
            Example:
              faas pack functions/hello -o hello.tar.gz
            """)

    @Argument(help: "The folder to pack.")
    var directory: String

    @Option(name: .shortAndLong, help: "The archive to write.")
    var output = "fn.tar.gz"

    func run() async throws {
        let bytes = try FolderPacker.pack(directory: directory)
        guard FileManager.default.createFile(atPath: output, contents: Data(bytes)) else {
            throw ClientFailure("cannot write \(output)")
        }
        Output.line("wrote \(output) (\(Output.bytes(Int64(bytes.count))))")
    }
}
