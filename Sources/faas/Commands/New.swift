import ArgumentParser
import Foundation
import Registry

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a folder NAME/ with a working function: source, function.yaml and its build: command.",
        discussion: """
            Example:
              faas new greet --lang js && faas deploy greet && faas invoke greet -d you
              faas new resize --lang rust --abi iv && faas deploy resize    # deploy runs build: first
            """)

    @Argument(help: "The function's name (^[a-z][a-z0-9-]{0,62}$); also the folder's.")
    var name: String

    @Option(help: "c, rust or js.")
    var lang = "c"

    @Option(help: "iv or wasi (default wasi; js functions run under the platform's runtime).")
    var abi: String?

    func validate() throws {
        guard Manifest.isValidName(name) else { throw ValidationError("'\(name)' must match ^[a-z][a-z0-9-]{0,62}$") }
        guard FunctionTemplate.Language(rawValue: lang) != nil else { throw ValidationError("--lang must be c, rust or js") }
        if let abi {
            guard FunctionTemplate.ABI(rawValue: abi) != nil else { throw ValidationError("--abi must be iv or wasi") }
            guard lang != "js" else { throw ValidationError("--abi does not apply to js: the platform's runtime runs it") }
        }
    }

    func run() throws {
        let template = FunctionTemplate(
            language: FunctionTemplate.Language(rawValue: lang) ?? .c,
            abi: abi.flatMap(FunctionTemplate.ABI.init(rawValue:)) ?? .wasi)
        let folder = URL(fileURLWithPath: name)
        guard !FileManager.default.fileExists(atPath: folder.path) else {
            throw ClientFailure("\(name) already exists; nothing was written")
        }
        do {
            for (path, text) in template.files(name: name).sorted(by: { $0.key < $1.key }) {
                let file = folder.appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: file)
            }
        } catch {
            throw ClientFailure("cannot write \(name)/: \(error.localizedDescription)")
        }
        Output.line("wrote \(name)/: deploy it with `faas deploy \(name)`")
    }
}
