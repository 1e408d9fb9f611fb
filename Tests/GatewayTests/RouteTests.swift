import Foundation
import Gateway
import Testing

@Suite("Routes")
struct RouteTests {
    @Test func healthzAnswersOk() async throws {
        try await TestGateway.with { gateway in
            let response = try await gateway.request("GET", "/healthz")
            #expect(response.status == 200)
            #expect(response.text == "ok")
            let head = try await gateway.request("HEAD", "/healthz")
            #expect(head.status == 200)
            #expect(head.header("content-length") == "2")
        }
    }

    @Test func invokeRunsTheFunctionWithPathQueryAndBody() async throws {
        try await TestGateway.with { gateway in
            let response = try await gateway.request(
                "POST", "/invoke/echo/a/b%20c?x=1&y=two", headers: [("X-Want-Status", "201")], body: Array("hello".utf8))
            #expect(response.status == 201)
            #expect(response.text == "method=POST\npath=/a/b c\nquery=x=1&y=two\nversion=2\nbody=hello\n")
            #expect(response.header("X-Echo-Version") == "2")
            #expect(response.header("Content-Type") == "text/plain")
            #expect(response.header("X-Faas-Activation")?.hasPrefix("act") == true)
            #expect(["cold", "warm"].contains(response.header("X-Faas-Start") ?? ""))
            #expect(Int(response.header("X-Faas-Duration-Us") ?? "") != nil)

            let bare = try await gateway.request("GET", "/invoke/echo")
            #expect(bare.text.contains("method=GET\npath=\nquery=\n"))
            let slash = try await gateway.request("DELETE", "/invoke/echo/")
            #expect(slash.text.contains("method=DELETE\npath=/\n"))
        }
    }

    @Test func versionQueryPinsAVersion() async throws {
        try await TestGateway.with { gateway in
            let pinned = try await gateway.request("GET", "/invoke/echo?version=1")
            #expect(pinned.status == 200)
            #expect(pinned.header("X-Echo-Version") == "1")
            let missing = try await gateway.request("GET", "/invoke/echo?version=9")
            #expect(missing.status == 404)
            #expect(missing.errorBody?.error.code == "not_found")
            for bad in ["abc", "0", "-1", "1.5", ""] {
                let response = try await gateway.request("GET", "/invoke/echo?version=\(bad)")
                #expect(response.status == 400, "version=\(bad)")
                #expect(response.errorBody?.error.code == "bad_request")
            }
        }
    }

    @Test func asyncInvocationIsAcceptedAndItsResultStored() async throws {
        try await TestGateway.with { gateway in
            let accepted = try await gateway.request(
                "POST", "/invoke/echo", headers: [("X-Faas-Async", "true")], body: Array("later".utf8))
            #expect(accepted.status == 202)
            let id = try #require(accepted.object?["activation"] as? String)
            #expect(accepted.header("X-Faas-Activation") == id)

            var result = try await gateway.request("GET", "/activations/\(id)/result")
            for _ in 0..<200 where result.status == 404 {
                try await Task.sleep(for: .milliseconds(10))
                result = try await gateway.request("GET", "/activations/\(id)/result")
            }
            #expect(result.status == 200)
            #expect(result.text.contains("body=later"))
            #expect(result.header("X-Echo-Version") == "2")

            let record = try await gateway.request("GET", "/activations/\(id)")
            #expect(record.status == 200)
            let object = try #require(record.object)
            #expect(object["id"] as? String == id)
            #expect(object["status"] as? String == "succeeded")
            for key in ["queue_us", "init_us", "run_us", "logs", "function", "version", "created", "fuel_used"] {
                #expect(object[key] != nil, "missing \(key)")
            }

            let bad = try await gateway.request("POST", "/invoke/echo", headers: [("X-Faas-Async", "maybe")])
            #expect(bad.status == 400)
            #expect(bad.errorBody?.error.code == "bad_request")
        }
    }

    @Test func activationsListFiltersAndLimits() async throws {
        try await TestGateway.with { gateway in
            for _ in 0..<3 { _ = try await gateway.request("GET", "/invoke/echo") }
            _ = try await gateway.request("GET", "/invoke/slow")
            let all = try await gateway.request("GET", "/activations")
            #expect(all.array?.count == 4)
            #expect(all.array?.first?["function"] as? String == "slow")  // newest first
            let echo = try await gateway.request("GET", "/activations?function=echo&limit=2")
            #expect(echo.array?.count == 2)
            #expect(echo.array?.allSatisfy { $0["function"] as? String == "echo" } == true)
            for bad in ["limit=0", "limit=abc", "limit=1001", "function=%zz"] {
                let response = try await gateway.request("GET", "/activations?\(bad)")
                #expect(response.status == 400, "\(bad)")
                #expect(response.errorBody?.error.code == "bad_request")
            }
            let missing = try await gateway.request("GET", "/activations/nope")
            #expect(missing.status == 404)
            let noResult = try await gateway.request("GET", "/activations/nope/result")
            #expect(noResult.status == 404)
            #expect(noResult.errorBody?.error.code == "not_found")
        }
    }

    @Test func deployListInfoRollbackRemove() async throws {
        try await TestGateway.with { gateway in
            await gateway.platform.setDeployName("hello")
            let archive: [UInt8] = [0x1f, 0x8b] + Array(repeating: 7, count: 300)
            let deployed = try await gateway.request("POST", "/functions", body: archive)
            #expect(deployed.status == 201)
            let result = try GatewayJSON.decode(DeployResult.self, from: Data(deployed.body))
            #expect(result == DeployResult(name: "hello", version: 1, digest: "sha256:deadbeef1", size: 604, compressedSize: 302))
            #expect(deployed.object?["compressed_size"] as? Int == 302)
            #expect(await gateway.platform.deployedArchives.last == archive)
            _ = try await gateway.request("POST", "/functions", headers: [("Content-Type", "application/gzip")], body: archive)

            let list = try await gateway.request("GET", "/functions")
            #expect(list.status == 200)
            let summaries = try GatewayJSON.decode([FunctionSummary].self, from: Data(list.body))
            #expect(summaries.contains { $0.name == "hello" && $0.version == 2 })
            #expect(list.array?.first.map { Set($0.keys) } == ["name", "version", "description", "updated"])

            let info = try await gateway.request("GET", "/functions/hello")
            #expect(info.status == 200)
            let detail = try GatewayJSON.decode(FunctionInfo.self, from: Data(info.body))
            #expect(detail.version == 2)
            #expect(detail.versions.map(\.version) == [1, 2])
            #expect(detail.pool == PoolStatus(sealed: 1, running: 0, queued: 0))
            #expect((info.object?["manifest"] as? [String: Any])?["memory"] as? Int == 67_108_864)

            let previous = try await gateway.request("POST", "/functions/hello/rollback")
            #expect(previous.status == 200)
            #expect(previous.object?["version"] as? Int == 1)
            let pinned = try await gateway.request("POST", "/functions/hello/rollback", body: Array(#"{"version": 2}"#.utf8))
            #expect(pinned.status == 200)
            #expect(pinned.object?["version"] as? Int == 2)
            #expect(pinned.object?["name"] as? String == "hello")
            let missingVersion = try await gateway.request("POST", "/functions/hello/rollback", body: Array(#"{"version": 7}"#.utf8))
            #expect(missingVersion.status == 404)

            let removed = try await gateway.request("DELETE", "/functions/hello")
            #expect(removed.status == 204)
            #expect(removed.body.isEmpty)
            let gone = try await gateway.request("GET", "/functions/hello")
            #expect(gone.status == 404)
            #expect(gone.errorBody?.error.code == "not_found")
            let again = try await gateway.request("DELETE", "/functions/hello")
            #expect(again.status == 404)
        }
    }

    @Test(arguments: [#"{"version": "two"}"#, "{", "[2]", #"{"version": 0}"#, "not json"])
    func rollbackWithABadBodyIs400(_ body: String) async throws {
        try await TestGateway.with { gateway in
            let response = try await gateway.request("POST", "/functions/echo/rollback", body: Array(body.utf8))
            #expect(response.status == 400)
            #expect(response.errorBody?.error.code == "bad_request")
        }
    }

    @Test func compartmentsAndMetrics() async throws {
        try await TestGateway.with { gateway in
            let cvms = try await gateway.request("GET", "/cvms")
            #expect(cvms.status == 200)
            let first = try #require(cvms.array?.first)
            #expect(Set(first.keys) == ["id", "function", "version", "state", "memory_bytes", "invocations", "created"])
            #expect(first["state"] as? String == "sealed")

            _ = try await gateway.request("GET", "/invoke/echo")
            let metrics = try await gateway.request("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains("faas_invocations_total{function=\"echo\",status=\"200\",start=\"warm\"} 1"))
        }
    }

    @Test func unknownPathsAndMethodsAre404() async throws {
        try await TestGateway.with { gateway in
            for (method, target) in [("GET", "/nope"), ("GET", "/"), ("GET", "/invoke"), ("GET", "/invoke/"), ("PUT", "/functions"), ("POST", "/cvms"), ("GET", "/functions/a/b")] {
                let response = try await gateway.request(method, target)
                #expect(response.status == 404, "\(method) \(target)")
                #expect(response.errorBody?.error.code == "not_found")
            }
            let wrongMethod = try await gateway.request("PATCH", "/functions/echo")
            #expect(wrongMethod.header("allow") == "GET, DELETE")
        }
    }
}
