import Foundation
import SandboxTesting

extension FaasCommand {
    /// Runs one client command against `server` (its URL and token come from the environment, as a user sets them).
    static func run(
        _ arguments: [String], against server: FaasServer?, token: String? = nil, input: Data? = nil
    ) async throws -> ProcessResult {
        var environment: [String: String] = [:]
        if let server { environment["FAAS_GATEWAY"] = server.url }
        if let token { environment["FAAS_TOKEN"] = token }
        return try await run(arguments, environment: environment, input: input)
    }
}
