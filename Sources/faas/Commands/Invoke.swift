import ArgumentParser
import Foundation
import Gateway

struct Invoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invoke a function and print its response body.",
        discussion: """
            The body comes from -d DATA, -d @FILE, or else standard input.

            Example:
              faas invoke hello -d world
              echo world | faas invoke hello
              faas invoke resize -d @photo.png > small.png
              faas invoke hello -d world --async      # prints the activation id
            """)

    @OptionGroup var client: ClientOptions

    @Argument(help: "The function's name.")
    var name: String

    @Option(name: .short, help: "The request body, or @FILE to send a file's bytes.")
    var data: String?

    @Flag(help: "Queue the invocation (X-Faas-Async) and print the activation id.")
    var async = false

    @Option(help: "With --async: an Idempotency-Key; the same key within 24 h answers the first activation.")
    var idempotencyKey: String?

    @Option(name: .customLong("pin"), help: "Run this version instead of the current one.")
    var version: Int?

    @Option(name: .shortAndLong, help: "HTTP method.")
    var method = "POST"

    func run() async throws {
        let body = try RequestBody.read(data)
        var headers: [String: String] = [:]
        if async { headers["X-Faas-Async"] = "true" }
        if let idempotencyKey {
            guard async else { throw ValidationError("--idempotency-key goes with --async") }
            headers["Idempotency-Key"] = idempotencyKey
        }
        let query = version.map { [URLQueryItem(name: "version", value: String($0))] } ?? []
        let answer = try await client.client().send(method, ["invoke", name], query: query, headers: headers, body: body)
        guard (200..<300).contains(answer.status) else {
            if let activation = answer.header("X-Faas-Activation") {
                Output.error("activation \(activation)")
            }
            if (try? GatewayJSON.decode(ErrorBody.self, from: answer.body)) == nil {
                Output.raw(answer.body)  // the function's own error page
            }
            throw ClientFailure(answer)
        }
        if async {
            let accepted = try? GatewayJSON.decode([String: String].self, from: answer.body)
            Output.line(accepted?["activation"] ?? answer.header("X-Faas-Activation") ?? "")
        } else {
            Output.raw(answer.body)
        }
    }
}
