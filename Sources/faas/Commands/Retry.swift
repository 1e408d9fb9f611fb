import ArgumentParser

struct Retry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a dead async activation again, with a fresh budget of attempts.",
        discussion: """
            An async activation is dead once every attempt failed (`retries:` in function.yaml).
            It keeps its id; `faas logs ID` shows each attempt's error.

            Example:
              faas logs hello --limit 50 | grep dead
              faas retry 6a0c9f…
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The activation id.")
    var activation: String

    func run() async throws {
        _ = try await client.client().expectSuccess("POST", ["activations", activation, "retry"])
        Output.line("queued \(activation)")
    }
}
