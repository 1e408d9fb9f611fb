import ArgumentParser
import Foundation

/// `--gateway` and `--token`, shared by every client command.
struct ClientOptions: ParsableArguments {
    @Option(help: "Gateway URL (env FAAS_GATEWAY; default http://127.0.0.1:8080).")
    var gateway: String?

    @Option(help: "Bearer token (env FAAS_TOKEN).")
    var token: String?

    /// The client for these options.
    func client() throws -> GatewayClient {
        let environment = ProcessInfo.processInfo.environment
        let address = gateway ?? environment["FAAS_GATEWAY"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
        guard let url = URL(string: address), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            throw ValidationError("--gateway must be an http(s) URL like http://127.0.0.1:8080, not '\(address)'")
        }
        let token = token ?? environment["FAAS_TOKEN"]
        return GatewayClient(base: url, token: token.flatMap { $0.isEmpty ? nil : $0 })
    }
}
