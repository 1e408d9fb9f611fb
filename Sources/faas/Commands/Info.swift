import ArgumentParser
import Gateway

struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a function: its current version, versions, manifest and pool.",
        discussion: """
            Example:
              faas info hello
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The function's name.")
    var name: String

    @Flag(help: "Print the gateway's JSON answer.")
    var json = false

    func run() async throws {
        let (info, answer) = try await client.client().json(FunctionInfo.self, "GET", ["functions", name])
        if json { return Output.json(answer.body) }
        Output.line("name:     \(info.name)")
        Output.line("version:  \(info.version)")
        Output.line("pool:     \(info.pool.sealed) sealed, \(info.pool.running) running, \(info.pool.queued) queued")
        Output.line("manifest: " + String(decoding: GatewayJSON.encode(info.manifest), as: UTF8.self))
        Output.line("")
        var table = Table("VERSION", "DIGEST", "SIZE", "CREATED", "")
        for version in info.versions {
            table.add([
                String(version.version), version.digest, Output.bytes(version.size), Output.date(version.created),
                version.version == info.version ? "current" : "",
            ])
        }
        Output.line(table.render())
    }
}
