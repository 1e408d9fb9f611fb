import ArgumentParser
import Gateway

struct Nodes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "List the gateways sharing this registry (seen in the last 30 s).",
        discussion: """
            One row on a single node (SQLite); with --registry postgres://…, every node started with that URL.

            Example:
              faas nodes
              faas --gateway http://127.0.0.1:9000 nodes --json
            """)

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print the gateway's JSON answer.")
    var json = false

    func run() async throws {
        let (nodes, answer) = try await client.client().json([NodeSummary].self, "GET", ["nodes"])
        if json { return Output.json(answer.body) }
        var table = Table("NODE", "ADDRESS", "STARTED", "LAST SEEN", "COMPARTMENTS", "RUNNING")
        for node in nodes {
            table.add([
                node.node, node.address, Output.date(node.started), Output.date(node.lastSeen), String(node.compartments),
                String(node.running),
            ])
        }
        Output.line(table.render())
    }
}
