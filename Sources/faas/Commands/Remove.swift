import ArgumentParser

struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Drain a function's compartments and remove it with all its versions.",
        discussion: """
            Example:
              faas rm hello
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The function's name.")
    var name: String

    func run() async throws {
        _ = try await client.client().expectSuccess("DELETE", ["functions", name])
        Output.line("removed \(name)")
    }
}
