import Foundation
import Gateway
import SandboxTesting
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

    @Test func invokeRunsTheFunctionWithPathQueryHeadersAndBody() async throws {
        try await TestGateway.with { gateway in
            let response = try await gateway.request(
                "PUT", "/invoke/headers/a/b%20c?x=1&status=201",
                headers: [("X-Reply-Header", "hi"), ("Content-Type", "text/csv")], body: Array("hello".utf8))
            #expect(response.status == 201)
            #expect(response.header("X-Reply") == "hi")
            #expect(response.header("Content-Type") == "application/json")
            let seen = try #require(response.object, "\(response.text)")
            #expect(seen["method"] as? String == "PUT")
            #expect(seen["path"] as? String == "/a/b c")
            #expect(seen["query"] as? String == "x=1&status=201")
            #expect(seen["content_type"] as? String == "text/csv")
            #expect(seen["function"] as? String == "headers")
            #expect(seen["greeting"] as? String == "hello from the manifest")
            #expect((seen["headers"] as? [String: Any])?["X_REPLY_HEADER"] as? String == "hi")
            #expect(response.header("X-Faas-Activation")?.isEmpty == false)
            #expect(["cold", "warm"].contains(response.header("X-Faas-Start") ?? ""))
            #expect(Int(response.header("X-Faas-Duration-Us") ?? "") != nil)

            let echoed = try await gateway.request("POST", "/invoke/echo", body: Array("byte for byte".utf8))
            #expect(echoed.status == 200 && echoed.text == "byte for byte")
            let bare = try await gateway.request("GET", "/invoke/headers")
            #expect(bare.object?["path"] as? String == "" && bare.object?["method"] as? String == "GET")
            let slash = try await gateway.request("DELETE", "/invoke/headers/")
            #expect(slash.object?["path"] as? String == "/" && slash.object?["method"] as? String == "DELETE")
        }
    }

    @Test func versionQueryPinsAVersion() async throws {
        try await TestGateway.with { gateway in
            #expect(try await gateway.request("GET", "/invoke/edition").text == "v2")
            let pinned = try await gateway.request("GET", "/invoke/edition?version=1")
            #expect(pinned.status == 200)
            #expect(pinned.text == "v1")
            let missing = try await gateway.request("GET", "/invoke/edition?version=9")
            #expect(missing.status == 404)
            #expect(missing.errorBody?.error.code == "not_found")
            for bad in ["abc", "0", "-1", "1.5", ""] {
                let response = try await gateway.request("GET", "/invoke/edition?version=\(bad)")
                #expect(response.status == 400, "version=\(bad)")
                #expect(response.errorBody?.error.code == "bad_request")
            }
        }
    }

    @Test func asyncInvocationIsAcceptedAndItsResultStored() async throws {
        try await TestGateway.with { gateway in
            let accepted = try await gateway.request(
                "POST", "/invoke/headers?status=203", headers: [("X-Faas-Async", "true"), ("X-Reply-Header", "later")])
            #expect(accepted.status == 202)
            let id = try #require(accepted.object?["activation"] as? String)
            #expect(accepted.header("X-Faas-Activation") == id)

            let result = try await gateway.result(of: id)
            #expect(result.status == 203)
            #expect(result.header("X-Reply") == "later")
            #expect(result.object?["function"] as? String == "headers")

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
            _ = try await gateway.request("GET", "/invoke/edition")
            let all = try await gateway.request("GET", "/activations")
            #expect(all.array?.count == 4)
            #expect(all.array?.first?["function"] as? String == "edition")  // newest first
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
            let archive = try Examples.archive(named: "hello")
            let deployed = try await gateway.request("POST", "/functions", body: archive)
            #expect(deployed.status == 201)
            let result = try GatewayJSON.decode(DeployResult.self, from: Data(deployed.body))
            #expect(result.name == "hello" && result.version == 1)
            #expect(result.digest.count == 64 && result.digest.allSatisfy(\.isHexDigit))
            #expect(result.compressedSize > 0 && result.size > 0)
            #expect(deployed.object?["compressed_size"] as? Int == Int(result.compressedSize))
            let again = try await gateway.request(
                "POST", "/functions", headers: [("Content-Type", "application/gzip")], body: archive)
            #expect(again.object?["version"] as? Int == 2)
            #expect(again.object?["digest"] as? String == result.digest)  // identical content, stored once

            let list = try await gateway.request("GET", "/functions")
            #expect(list.status == 200)
            let summaries = try GatewayJSON.decode([FunctionSummary].self, from: Data(list.body))
            #expect(summaries.map(\.name) == ["echo", "edition", "headers", "hello", "private", "slow"])
            #expect(summaries.contains { $0.name == "hello" && $0.version == 2 })
            #expect(list.array?.first.map { Set($0.keys) } == ["name", "version", "description", "updated"])

            let info = try await gateway.request("GET", "/functions/hello")
            #expect(info.status == 200)
            let detail = try GatewayJSON.decode(FunctionInfo.self, from: Data(info.body))
            #expect(detail.version == 2)
            #expect(detail.versions.map(\.version) == [1, 2])
            #expect(detail.pool.running == 0 && detail.pool.queued == 0)
            #expect((info.object?["manifest"] as? [String: Any])?["name"] as? String == "hello")

            let previous = try await gateway.request("POST", "/functions/hello/rollback")
            #expect(previous.status == 200)
            #expect(previous.object?["version"] as? Int == 1)
            let pinned = try await gateway.request(
                "POST", "/functions/hello/rollback", body: Array(#"{"version": 2}"#.utf8))
            #expect(pinned.status == 200)
            #expect(pinned.object?["version"] as? Int == 2)
            #expect(pinned.object?["name"] as? String == "hello")
            let missingVersion = try await gateway.request(
                "POST", "/functions/hello/rollback", body: Array(#"{"version": 7}"#.utf8))
            #expect(missingVersion.status == 404)
            #expect(try await gateway.request("POST", "/invoke/hello", body: Array("Ada".utf8)).text == "Hello, Ada!\n")

            let removed = try await gateway.request("DELETE", "/functions/hello")
            #expect(removed.status == 204)
            #expect(removed.body.isEmpty)
            let gone = try await gateway.request("GET", "/functions/hello")
            #expect(gone.status == 404)
            #expect(gone.errorBody?.error.code == "not_found")
            #expect(try await gateway.request("POST", "/invoke/hello").status == 404)
            let again404 = try await gateway.request("DELETE", "/functions/hello")
            #expect(again404.status == 404)
        }
    }

    @Test(arguments: [#"{"version": "two"}"#, "{", "[2]", #"{"version": 0}"#, "not json"])
    func rollbackWithABadBodyIs400(_ body: String) async throws {
        try await TestGateway.with { gateway in
            let response = try await gateway.request("POST", "/functions/edition/rollback", body: Array(body.utf8))
            #expect(response.status == 400)
            #expect(response.errorBody?.error.code == "bad_request")
            #expect(try await gateway.request("GET", "/invoke/edition").text == "v2")  // nothing changed
        }
    }

    @Test func compartmentsAndMetrics() async throws {
        try await TestGateway.with { gateway in
            _ = try await gateway.request("GET", "/invoke/echo")
            var cvms = try await gateway.request("GET", "/cvms")
            for _ in 0..<500 where cvms.array?.contains(where: { $0["function"] as? String == "echo" }) != true {
                try await Task.sleep(for: .milliseconds(20))
                cvms = try await gateway.request("GET", "/cvms")
            }
            #expect(cvms.status == 200)
            let echo = try #require(cvms.array?.first { $0["function"] as? String == "echo" })
            #expect(Set(echo.keys) == ["id", "function", "version", "state", "memory_bytes", "invocations", "created"])
            #expect(["sealed", "running"].contains(echo["state"] as? String ?? ""))
            #expect((echo["memory_bytes"] as? Int ?? 0) > 0)

            let metrics = try await gateway.request("GET", "/metrics")
            #expect(metrics.status == 200)
            #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(
                metrics.text.split(separator: "\n").contains {
                    $0.hasPrefix("faas_invocations_total{") && $0.contains("function=\"echo\"")
                }, "\(metrics.text)")
        }
    }

    @Test func unknownPathsAndMethodsAre404() async throws {
        try await TestGateway.with { gateway in
            for (method, target) in [
                ("GET", "/nope"), ("GET", "/"), ("GET", "/invoke"), ("GET", "/invoke/"), ("PUT", "/functions"),
                ("POST", "/cvms"), ("GET", "/functions/a/b"),
            ] {
                let response = try await gateway.request(method, target)
                #expect(response.status == 404, "\(method) \(target)")
                #expect(response.errorBody?.error.code == "not_found")
            }
            let wrongMethod = try await gateway.request("PATCH", "/functions/echo")
            #expect(wrongMethod.header("allow") == "GET, DELETE")
        }
    }
}
