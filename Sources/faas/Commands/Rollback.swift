import ArgumentParser
import Gateway

struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make an earlier version current again (by default the one before the current).",
        discussion: """
            Example:
              faas rollback hello            # to the previous version
              faas rollback hello --to 2
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The function's name.")
    var name: String

    @Option(help: "The version to make current.")
    var to: Int?

    @Flag(help: "Print the gateway's JSON answer.")
    var json = false

    func validate() throws {
        if let to, to < 1 { throw ValidationError("--to must be 1 or more") }
    }

    func run() async throws {
        let body = GatewayJSON.encode(RollbackBody(version: to))
        let (result, answer) = try await client.client().json(
            RollbackResult.self, "POST", ["functions", name, "rollback"], body: .init(body))
        if json { return Output.json(answer.body) }
        Output.line("\(result.name) is at version \(result.version) (\(result.digest))")
    }
}
