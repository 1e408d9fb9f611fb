import ArgumentParser
import Gateway

struct CVMs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvms",
        abstract: "List the live compartments (cVMs), like `virsh list`.",
        discussion: """
            Example:
              faas cvms
              faas cvms --json
            """)

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print the gateway's JSON answer.")
    var json = false

    func run() async throws {
        let (compartments, answer) = try await client.client().json([CompartmentInfo].self, "GET", ["cvms"])
        if json { return Output.json(answer.body) }
        var table = Table("ID", "FUNCTION", "VERSION", "STATE", "MEMORY", "INVOCATIONS", "CREATED")
        for cvm in compartments {
            table.add([
                String(cvm.id), cvm.function, String(cvm.version), cvm.state.rawValue, Output.bytes(Int64(cvm.memoryBytes)),
                String(cvm.invocations), Output.date(cvm.created),
            ])
        }
        Output.line(table.render())
    }
}
