import Foundation
import SandboxTesting
import Testing

/// Every error code of the contract, provoked once against the real server and checked by code and status.
@Suite("End to end: every error code")
struct ErrorCodeTests {
    static let token = "e2e-t0ken"

    @Test func everyCodeAgainstTheRealServer() async throws {
        let scratch = try TemporaryFolder()
        let functions = try scratch.folder("functions")
        let server = try await FaasServer.start(
            data: scratch.url.appendingPathComponent("data"), token: Self.token, in: scratch)
        let token = Self.token
        var seen: Set<String> = []

        func check(
            _ answer: HTTPAnswer, _ code: String, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(answer.status == status, "\(code): \(answer.status) \(answer.text)", sourceLocation: sourceLocation)
            #expect(answer.errorCode == code, "\(answer.text)", sourceLocation: sourceLocation)
            #expect(answer.header("content-type") == "application/json", sourceLocation: sourceLocation)
            if answer.errorCode == code, answer.status == status { seen.insert(code) }
        }

        for name in ["echo", "fault", "spin"] {
            _ = try Examples.archive(named: name)
            let archive = Examples.functionsDirectory.appendingPathComponent("build/\(name).tar.gz")
            let deployed = try await FaasCommand.run(["deploy", archive.path], against: server, token: token)
            #expect(deployed.status == 0, "\(deployed.errors)")
        }
        let big = try UserFunctions.folder("big", module: UserFunctions.large(bytes: 7 << 20), in: functions)
        let gate = try Gate(answer: "finally")
        let single = try UserFunctions.folder(
            "single", module: GuestFixtures.wasm(GuestFixtures.heldCall(gate.request)),
            settings: ["concurrency: 1", "queue: 0", "warm: 0"] + Gate.loopbackGrant,
            in: functions)
        for folder in [big, single] {
            let deployed = try await FaasCommand.run(["deploy", folder.path], against: server, token: token)
            #expect(deployed.status == 0, "\(deployed.errors)")
        }

        check(try await Curl.request("GET", server.url + "/invoke/echo?version=abc"), "bad_request", 400)
        check(
            try await Curl.request("POST", server.url + "/functions", body: Data("plain text".utf8), token: token),
            "invalid_archive", 400)
        let unauthorized = try await Curl.request("GET", server.url + "/functions")
        check(unauthorized, "unauthorized", 401)
        #expect(unauthorized.header("www-authenticate") == "Bearer")
        check(try await Curl.request("GET", server.url + "/functions/ghost", token: token), "not_found", 404)
        check(
            try await Curl.request("POST", server.url + "/invoke/echo", body: Data(count: (6 << 20) + 1)),
            "payload_too_large", 413)

        // A manifest with a bad value: packed by `faas pack`, refused at deploy with the key named.
        let broken = try UserFunctions.folder(
            "broken", module: UserFunctions.constant("x"), settings: ["memory: 64Zi"], in: functions)
        let archive = scratch.url.appendingPathComponent("broken.tar.gz")
        let packed = try await FaasCommand.run(["pack", broken.path, "-o", archive.path])
        #expect(packed.status == 0, "\(packed.errors)")
        let invalid = try await Curl.request("POST", server.url + "/functions", bodyFile: archive, token: token)
        check(invalid, "invalid_function", 422)
        #expect(invalid.errorMessage?.contains("memory") == true, "\(invalid.text)")

        // One compartment, no queue: while its call waits on the gate, the next call is refused.
        async let holding = Curl.request("POST", server.url + "/invoke/single")
        #expect(
            try await eventually {
                let pool = try await Curl.request("GET", server.url + "/functions/single", token: token)
                return (pool.object?["pool"] as? [String: Any])?["running"] as? Int == 1
            })
        let refused = try await Curl.request("POST", server.url + "/invoke/single")
        check(refused, "too_many_requests", 429)
        #expect(Int(refused.header("retry-after") ?? "") ?? 0 >= 1, "\(refused.headers)")
        gate.open()
        let held = try await holding
        #expect(held.status == 200 && held.text == "finally", "\(held.status) \(held.text)")

        let exited = try await Curl.request("POST", server.url + "/invoke/fault", body: Data("exit".utf8))
        check(exited, "function_error", 502)
        // The failed activation keeps the guest's log line and its error, as `faas logs` shows them.
        let exitedID = try #require(exited.header("X-Faas-Activation"))
        let logs = try await FaasCommand.run(["logs", exitedID], against: server, token: token)
        #expect(logs.status == 0, "\(logs.errors)")
        #expect(logs.output.contains("fault: returning 3 as asked"), "\(logs.output)")
        #expect(logs.output.contains("function_error"), "\(logs.output)")
        check(
            try await Curl.request("POST", server.url + "/invoke/fault", body: Data("trap".utf8)), "function_trap", 502)
        let fault = try await Curl.request("POST", server.url + "/invoke/fault", body: Data("bounds".utf8))
        check(fault, "capability_fault", 502)
        #expect(fault.errorMessage?.contains("bounds") == true, "\(fault.text)")
        check(try await Curl.request("POST", server.url + "/invoke/big"), "response_too_large", 502)
        let timedOut = try await Curl.request("POST", server.url + "/invoke/spin")
        check(timedOut, "timeout", 504)
        #expect(timedOut.header("X-Faas-Activation") != nil)

        // unavailable: an image whose bytes no longer match its digest is refused, never run.
        #expect(await server.stop() == 0, "\(server.output)")
        try Self.corruptImages(under: server.data.appendingPathComponent("images"))
        let restarted = try await FaasServer.start(data: server.data, token: token, in: scratch)
        // (With the token: a function whose image cannot be loaded is not known to be public.)
        let corrupt = try await Curl.request("POST", restarted.url + "/invoke/echo", body: Data("x".utf8), token: token)
        check(corrupt, "unavailable", 503)
        #expect(await restarted.stop() == 0, "\(restarted.output)")

        let contract: Set<String> = [
            "bad_request", "invalid_archive", "unauthorized", "not_found", "payload_too_large", "invalid_function",
            "too_many_requests", "function_error", "function_trap", "capability_fault", "response_too_large",
            "unavailable", "timeout",
        ]
        #expect(seen == contract, "missing: \(contract.subtracting(seen))")
    }

    /// Flips one byte in the middle of every image file.
    static func corruptImages(under folder: URL) throws {
        let files =
            FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])?
            .compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true } ?? []
        try #require(!files.isEmpty, "no image files under \(folder.path)")
        for file in files {
            var bytes = try Data(contentsOf: file)
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: file)
        }
    }
}
