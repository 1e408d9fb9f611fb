import ArgumentParser

/// `faas`: run the gateway (`faas serve`) or talk to one (every other command).
@main
struct Faas: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faas",
        abstract: "Functions as a service in capability compartments.",
        discussion: """
            `faas serve` runs the gateway; every other command is an HTTP client of it.
            Client commands take --gateway (env FAAS_GATEWAY, default http://127.0.0.1:8080)
            and --token (env FAAS_TOKEN), before or after the subcommand.

            Example:
              faas serve --examples &
              faas invoke hello -d world
            """,
        subcommands: [
            Serve.self, Deploy.self, Pack.self, Invoke.self, List.self, Info.self, Remove.self, Rollback.self,
            Logs.self, CVMs.self, Nodes.self, Retry.self, KeyValue.self, New.self, Build.self,
        ]
    )

    /// Parses with client options accepted before the subcommand too (``ClientArguments``).
    static func main() async {
        do {
            var command = try parseAsRoot(ClientArguments.hoisted(Array(CommandLine.arguments.dropFirst())))
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
