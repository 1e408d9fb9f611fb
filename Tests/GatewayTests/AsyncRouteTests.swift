import Foundation
import Gateway
import Testing

/// The v2 async routes over real HTTP: `Idempotency-Key`, `?status=`, `POST /activations/{id}/retry`,
/// the `dead` status and the new record fields.
@Suite struct AsyncRouteTests {
    static func accepted(_ response: RawConnection.Response) throws -> String {
        #expect(response.status == 202, "\(String(decoding: response.body, as: UTF8.self))")
        return try #require(response.object?["activation"] as? String)
    }

    /// Polls `GET /activations/{id}` until its status is `status` (at most 20 s).
    static func record(_ gateway: TestGateway, _ id: String, is status: String) async throws -> [String: Any] {
        for _ in 0..<1000 {
            let record = try await gateway.request("GET", "/activations/\(id)").object
            if record?["status"] as? String == status { return record ?? [:] }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("activation \(id) never became \(status)")
        return [:]
    }

    @Test func malformedIdempotencyKeysAre400AndStoreNothing() async throws {
        try await TestGateway.with { gateway in
            let before = try await gateway.activationCount("echo")
            let bad: [String] = ["", String(repeating: "k", count: 257), "a\u{1}b", "tab\there"]
            for key in bad {
                let answer = try await gateway.request(
                    "POST", "/invoke/echo", headers: [("X-Faas-Async", "true"), ("Idempotency-Key", key)], body: Array("x".utf8))
                #expect(answer.status == 400, "key \(key.debugDescription)")
                #expect(answer.errorBody?.error.code == "bad_request")
                if key.isEmpty || key.count > 256 {
                    #expect(answer.errorBody?.error.message.contains("Idempotency-Key") == true)
                }
            }
            let twice = try await gateway.request(
                "POST", "/invoke/echo", headers: [("X-Faas-Async", "true"), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")])
            #expect(twice.status == 400)
            let longest = String(repeating: "k", count: 256)
            _ = try Self.accepted(
                try await gateway.request(
                    "POST", "/invoke/echo", headers: [("X-Faas-Async", "true"), ("Idempotency-Key", longest)]))
            #expect(try await gateway.activationCount("echo") == before + 1)
        }
    }

    @Test func aRepeatedKeyAnswersTheFirstIdAndQueuesNothing() async throws {
        try await TestGateway.with { gateway in
            let headers = [("X-Faas-Async", "true"), ("Idempotency-Key", "order-17")]
            let first = try Self.accepted(try await gateway.request("POST", "/invoke/echo", headers: headers, body: Array("one".utf8)))
            let second = try Self.accepted(try await gateway.request("POST", "/invoke/echo", headers: headers, body: Array("two".utf8)))
            #expect(first == second)
            let result = try await gateway.result(of: first)
            #expect(String(decoding: result.body, as: UTF8.self) == "one")
            #expect(try await gateway.activationCount("echo") == 1)
            // The same key for another function is another activation.
            let other = try Self.accepted(try await gateway.request("POST", "/invoke/headers", headers: headers))
            #expect(other != first)
            // A synchronous call ignores the key (it is the function's header).
            let sync = try await gateway.request("POST", "/invoke/echo", headers: [("Idempotency-Key", "")], body: Array("s".utf8))
            #expect(sync.status == 200)
        }
    }

    @Test func aDeadActivationIsListedAndRetried() async throws {
        try await TestGateway.with { gateway in
            try await gateway.backend.deploy(example: "fault")
            let id = try Self.accepted(
                try await gateway.request("POST", "/invoke/fault", headers: [("X-Faas-Async", "true")], body: Array("exit".utf8)))
            let dead = try await Self.record(gateway, id, is: "dead")
            #expect(dead["attempts"] as? Int == 3)
            #expect(dead["trigger"] as? String == "async")
            #expect(dead["error"] as? String == "function_error")
            #expect((dead["node"] as? String)?.isEmpty == false)
            let history = try #require(dead["history"] as? [[String: Any]])
            #expect(history.map { $0["attempt"] as? Int } == [1, 2, 3])
            #expect(history.allSatisfy { ($0["logs"] as? String)?.contains("fault:") == true })

            let listed = try await gateway.request("GET", "/activations?status=dead")
            #expect(listed.array?.map { $0["id"] as? String } == [id])
            let none = try await gateway.request("GET", "/activations?function=echo&status=dead")
            #expect(none.array?.isEmpty == true)
            let bogus = try await gateway.request("GET", "/activations?status=zombie")
            #expect(bogus.status == 400 && bogus.errorBody?.error.code == "bad_request")
            let result = try await gateway.result(of: id)
            #expect(result.status == 502 && result.errorBody?.error.code == "function_error")

            let retried = try await gateway.request("POST", "/activations/\(id)/retry")
            #expect(try Self.accepted(retried) == id)
            let again = try await Self.record(gateway, id, is: "dead")
            #expect(again["attempts"] as? Int == 6 && again["trigger"] as? String == "retry")

            let missing = try await gateway.request("POST", "/activations/nope/retry")
            #expect(missing.status == 404 && missing.errorBody?.error.code == "not_found")
            let wrongMethod = try await gateway.request("GET", "/activations/\(id)/retry")
            #expect(wrongMethod.status == 404 && wrongMethod.header("allow") == "POST")
        }
    }

    @Test func onlyADeadActivationCanBeRetried() async throws {
        try await TestGateway.with { gateway in
            let id = try Self.accepted(try await gateway.request("POST", "/invoke/echo", headers: [("X-Faas-Async", "true")]))
            _ = try await Self.record(gateway, id, is: "succeeded")
            let conflict = try await gateway.request("POST", "/activations/\(id)/retry")
            #expect(conflict.status == 409 && conflict.errorBody?.error.code == "conflict")
            let sync = try await gateway.request("POST", "/invoke/echo")
            let syncID = try #require(sync.header("X-Faas-Activation"))
            let syncConflict = try await gateway.request("POST", "/activations/\(syncID)/retry")
            #expect(syncConflict.status == 409)
        }
    }

    @Test func synchronousCallsAreNotRetried() async throws {
        try await TestGateway.with { gateway in
            try await gateway.backend.deploy(example: "fault")
            let answer = try await gateway.request("POST", "/invoke/fault", body: Array("exit".utf8))
            #expect(answer.status == 502)
            let id = try #require(answer.header("X-Faas-Activation"))
            try await Task.sleep(for: .milliseconds(400))
            let record = try #require(try await gateway.request("GET", "/activations/\(id)").object)
            #expect(record["status"] as? String == "failed")
            #expect(record["attempts"] as? Int == 1 && record["trigger"] as? String == "http")
            #expect(try await gateway.activationCount("fault") == 1)
        }
    }

    @Test func anOversizedAsyncBodyIs413AndStoresNothing() async throws {
        try await TestGateway.with({ $0.maxBodyBytes = 1024 }) { gateway in
            let answer = try await gateway.request(
                "POST", "/invoke/echo", headers: [("X-Faas-Async", "true")], body: [UInt8](repeating: 7, count: 2048))
            #expect(answer.status == 413)
            #expect(try await gateway.activationCount("echo") == 0)
        }
    }

    @Test func metricsShowTheAsyncFamilies() async throws {
        try await TestGateway.with { gateway in
            try await gateway.backend.deploy(example: "fault")
            let id = try Self.accepted(
                try await gateway.request("POST", "/invoke/fault", headers: [("X-Faas-Async", "true")], body: Array("exit".utf8)))
            _ = try await Self.record(gateway, id, is: "dead")
            var text = ""
            for _ in 0..<200 {
                text = String(decoding: try await gateway.request("GET", "/metrics").body, as: UTF8.self)
                if text.contains("faas_async_dead_total{function=\"fault\"} 1") { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(text.contains("faas_async_retries_total{function=\"fault\"} 2"))
            #expect(text.contains("faas_async_dead_total{function=\"fault\"} 1"))
            #expect(text.contains("faas_async_queue_depth{function=\"fault\"} 0"), "\(text)")
        }
    }
}
