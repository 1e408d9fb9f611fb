import Foundation
import SandboxTesting
import Testing

/// Key-value stores and outbound HTTP as a user meets them: `faas serve` with its defaults, the
/// example functions, `faas kv`, curl, and kill -9.
@Suite("End to end: key-value stores and outbound HTTP")
struct OutboundScenarioTests {
    static func deploy(_ example: String, to server: FaasServer) async throws {
        _ = try Examples.archive(named: example)
        let archive = Examples.functionsDirectory.appendingPathComponent("build/\(example).tar.gz")
        let deployed = try await FaasCommand.run(["deploy", archive.path], against: server)
        #expect(deployed.status == 0, "\(deployed.errors)")
    }

    /// Every count the counter answered is in the store after kill -9 and a restart: a write a
    /// guest was told succeeded is on disk.
    @Test func countsAnsweredSurviveKill9() async throws {
        let scratch = try TemporaryFolder()
        let data = scratch.url.appendingPathComponent("data")
        var server = try await FaasServer.start(data: data, in: scratch)
        try await Self.deploy("counter", to: server)
        var last = 0
        for expected in 1...25 {
            let answer = try await Curl.request("POST", server.url + "/invoke/counter", body: Data("e2e".utf8))
            last = Int(answer.text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            #expect(answer.status == 200 && last == expected, "\(answer.status) \(answer.text)")
        }
        // Increments in flight while the server dies: each one answered must be stored.
        let url = server.url
        let storm = Task {
            var answered = 0
            for _ in 0..<200 {
                guard let answer = try? await Curl.request("POST", url + "/invoke/counter", body: Data("e2e".utf8)),
                    answer.status == 200, let count = Int(answer.text.trimmingCharacters(in: .whitespacesAndNewlines))
                else { break }
                answered = count
            }
            return answered
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(await server.stop(signal: SIGKILL) == -SIGKILL)
        let answeredBeforeDeath = max(await storm.value, last)

        server = try await FaasServer.start(data: data, in: scratch)
        let stored = try await FaasCommand.run(["kv", "get", "counters", "e2e"], against: server)
        let value = Int(stored.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(stored.status == 0, "\(stored.errors)")
        #expect(value >= answeredBeforeDeath, "stored \(value), answered \(answeredBeforeDeath)")
        let next = try await Curl.request("POST", server.url + "/invoke/counter", body: Data("e2e".utf8))
        #expect(Int(next.text.trimmingCharacters(in: .whitespacesAndNewlines)) == value + 1)
        #expect(await server.stop() == 0)
    }

    @Test func faasKVRoundTrips() async throws {
        let scratch = try TemporaryFolder()
        let server = try await FaasServer.start(data: scratch.url.appendingPathComponent("data"), in: scratch)
        let key = "users/ada lovelace/ü"
        var result = try await FaasCommand.run(["kv", "set", "profiles", key, "-d", "analytical"], against: server)
        #expect(result.status == 0, "\(result.errors)")
        let file = scratch.url.appendingPathComponent("value.bin")
        try Data([0, 1, 2, 255]).write(to: file)
        result = try await FaasCommand.run(["kv", "set", "profiles", "binary", "-d", "@" + file.path], against: server)
        #expect(result.status == 0, "\(result.errors)")
        result = try await FaasCommand.run(["kv", "set", "profiles", "piped"], against: server, input: Data("from stdin".utf8))
        #expect(result.status == 0, "\(result.errors)")

        #expect(try await FaasCommand.run(["kv", "get", "profiles", key], against: server).output == "analytical")
        #expect(try await FaasCommand.run(["kv", "get", "profiles", "piped"], against: server).output == "from stdin")
        let binary = try await Curl.request("GET", server.url + "/kv/profiles/binary")
        #expect(binary.body == Data([0, 1, 2, 255]))
        let keys = try await FaasCommand.run(["kv", "ls", "profiles"], against: server)
        #expect(keys.output.split(separator: "\n").map(String.init) == ["binary", "piped", key], "\(keys.output)")
        let stores = try await FaasCommand.run(["kv", "ls"], against: server)
        #expect(stores.output.contains("profiles"), "\(stores.output)")

        #expect(try await FaasCommand.run(["kv", "rm", "profiles", key], against: server).status == 0)
        let gone = try await FaasCommand.run(["kv", "get", "profiles", key], against: server)
        #expect(gone.status != 0 && gone.errors.contains("not_found") || gone.errors.contains("no "), "\(gone.errors)")
        let bad = try await FaasCommand.run(["kv", "set", "Bad_Store", "k", "-d", "v"], against: server)
        #expect(bad.status != 0)
        #expect(await server.stop() == 0)
    }

    /// The fetch-json example calls a local server it is granted, and nothing else; its request is
    /// in the activation's log and counted in metrics.
    @Test func fetchJSONCallsOnlyWhatItIsGranted() async throws {
        let upstream = try LoopbackHTTPServer { request in
            request.target == "/redirect"
                ? .answer(status: 302, headers: [("Location", "http://127.0.0.1:1/elsewhere")])
                : .answer(status: 200, headers: [("Content-Type", "application/json")], body: Array(#"{"ok":true}"#.utf8))
        }
        defer { upstream.stop() }
        let scratch = try TemporaryFolder()
        let server = try await FaasServer.start(data: scratch.url.appendingPathComponent("data"), in: scratch)
        try await Self.deploy("fetch-json", to: server)

        let answer = try await Curl.request(
            "POST", server.url + "/invoke/fetch-json", body: Data("http://127.0.0.1:\(upstream.port)/data".utf8))
        #expect(answer.status == 200 && answer.text == #"{"ok":true}"#, "\(answer.status) \(answer.text)")
        #expect(answer.header("Content-Type") == "application/json")
        #expect(upstream.requests.first?.header("accept") == "application/json")

        let redirect = try await Curl.request(
            "POST", server.url + "/invoke/fetch-json", body: Data("http://127.0.0.1:\(upstream.port)/redirect".utf8))
        #expect(redirect.status == 302 && upstream.requests.count == 2, "a redirect is the answer, not followed")

        for refused in ["http://localhost:\(upstream.port)/", "https://example.com/", "http://10.0.0.1/"] {
            let answer = try await Curl.request("POST", server.url + "/invoke/fetch-json", body: Data(refused.utf8))
            #expect(answer.status == 403, "\(refused): \(answer.status) \(answer.text)")
        }
        #expect(upstream.requests.count == 2)

        let id = try #require(answer.header("X-Faas-Activation"))
        let record = try await Curl.request("GET", server.url + "/activations/\(id)").object ?? [:]
        #expect((record["logs"] as? String)?.contains("http GET http://127.0.0.1:\(upstream.port)/data -> 200 in ") == true)
        let metrics = try await Curl.request("GET", server.url + "/metrics").text
        #expect(metrics.contains(#"faas_http_requests_total{function="fetch-json",result="ok"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"faas_http_requests_total{function="fetch-json",result="not_granted"} 3"#))
        #expect(await server.stop() == 0)
    }
}
