import ArgumentParser
import Foundation
import Gateway

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show activation records and their logs: of one activation, or the latest of a function.",
        discussion: """
            Example:
              faas logs hello --limit 5      # the 5 latest activations of hello
              faas logs 7f3a9c…              # one activation
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "A function name or an activation id.")
    var target: String

    @Option(help: "How many activations of a function to show (1-1000).")
    var limit = 20

    @Flag(help: "Print the gateway's JSON answer.")
    var json = false

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
    }

    func run() async throws {
        let client = try client.client()
        let single = try await client.send("GET", ["activations", target])
        if single.status == 200 {
            if json { return Output.json(single.body) }
            do {
                Self.show([try GatewayJSON.decode(ActivationInfo.self, from: single.body)])
            } catch {
                throw ClientFailure("unexpected answer from the gateway: \(error)")
            }
            return
        }
        guard single.status == 404 else { throw ClientFailure(single) }
        // Not an activation: the latest activations of a function of that name.
        if try await client.send("GET", ["functions", target]).status == 404 {
            throw ClientFailure("no function or activation named '\(target)'")
        }
        let (records, answer) = try await client.json(
            [ActivationInfo].self, "GET", ["activations"],
            query: [URLQueryItem(name: "function", value: target), URLQueryItem(name: "limit", value: String(limit))])
        if json { return Output.json(answer.body) }
        Self.show(records)
    }

    private static func show(_ records: [ActivationInfo]) {
        var table = Table(
            "ACTIVATION", "FUNCTION", "VERSION", "STATUS", "TRIGGER", "ATTEMPTS", "START", "QUEUE_US", "INIT_US", "RUN_US",
            "CREATED", "ERROR")
        for record in records {
            table.add([
                record.id, record.function, String(record.version), record.status.rawValue, record.trigger.rawValue,
                String(record.attempts),
                record.start?.rawValue ?? "-", String(record.queueUs), String(record.initUs), String(record.runUs),
                Output.date(record.created), record.error.map { "\($0): \(record.message ?? "")" } ?? "",
            ])
        }
        Output.line(table.render())
        for record in records {
            // Every attempt but the last (whose logs are the record's own) keeps its error and logs.
            for attempt in record.history.dropLast() where record.history.count > 1 {
                Output.line("\n--- \(record.id) attempt \(attempt.attempt) on \(attempt.node): \(attempt.error ?? attempt.status.rawValue) ---")
                if let message = attempt.message { Output.line(message) }
                if !attempt.logs.isEmpty { Output.line(attempt.logs.hasSuffix("\n") ? String(attempt.logs.dropLast()) : attempt.logs) }
            }
            guard !record.logs.isEmpty else { continue }
            Output.line("\n--- \(record.id) ---")
            Output.line(record.logs.hasSuffix("\n") ? String(record.logs.dropLast()) : record.logs)
        }
    }
}
