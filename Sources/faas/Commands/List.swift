import ArgumentParser
import Gateway

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls",
        abstract: "List the deployed functions.",
        discussion: """
            Example:
              faas ls
              faas ls --json
            """)

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print the gateway's JSON answer.")
    var json = false

    func run() async throws {
        let (functions, answer) = try await client.client().json([FunctionSummary].self, "GET", ["functions"])
        if json { return Output.json(answer.body) }
        var table = Table("NAME", "VERSION", "UPDATED", "DESCRIPTION")
        for function in functions {
            table.add([function.name, String(function.version), Output.date(function.updated), function.description])
        }
        Output.line(table.render())
    }
}
