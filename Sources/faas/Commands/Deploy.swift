import ArgumentParser
import Foundation
import Gateway

struct Deploy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deploy a function: a .tar.gz archive, or a folder holding function.yaml (packed on the fly).",
        discussion: """
            Example:
              faas deploy functions/hello          # a folder (its build: runs first)
              faas deploy hello.tar.gz             # an archive made by `faas pack`
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "A .tar.gz archive or a folder holding function.yaml.")
    var path: String

    @Flag(help: "Print the gateway's JSON answer.")
    var json = false

    @Flag(help: "Deploy a folder as it is, without running its build: command first.")
    var noBuild = false

    func run() async throws {
        var isDirectory: ObjCBool = false
        if !noBuild, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            try BuildStep.run(in: path)
        }
        let archive = try Self.archive(at: path)
        let (result, answer) = try await client.client().json(DeployResult.self, "POST", ["functions"], body: Data(archive))
        if json {
            Output.json(answer.body)
        } else {
            Output.line("deployed \(result.name) version \(result.version) (\(result.digest), \(Output.bytes(result.size)))")
        }
    }

    /// The archive bytes of `path`: the file itself, or the folder packed.
    static func archive(at path: String) throws(ClientFailure) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ClientFailure("\(path) does not exist")
        }
        if isDirectory.boolValue {
            return try FolderPacker.pack(directory: path)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientFailure("cannot read \(path)")
        }
        return Array(data)
    }
}
