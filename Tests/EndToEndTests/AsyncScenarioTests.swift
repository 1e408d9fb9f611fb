import Foundation
import SandboxTesting
import Testing

/// Retries, the dead letter, `faas retry`, idempotency and schedules as a user meets them: the
/// `faas` binary serving with its defaults, its client commands and curl.
@Suite("End to end: retries, dead letters and schedules")
struct AsyncScenarioTests {
    static func activation(_ server: FaasServer, _ id: String) async throws -> [String: Any] {
        try await Curl.request("GET", server.url + "/activations/\(id)").object ?? [:]
    }

    @Test func failuresAreRetriedWithBackoffThenDeadThenRetriedByTheCLI() async throws {
        let scratch = try TemporaryFolder()
        let functions = try scratch.folder("functions")
        let server = try await FaasServer.start(data: scratch.url.appendingPathComponent("data"), in: scratch)
        _ = functions
        _ = try Examples.archive(named: "fault")
        let fault = Examples.functionsDirectory.appendingPathComponent("build/fault.tar.gz")
        #expect(try await FaasCommand.run(["deploy", fault.path], against: server).status == 0)

        let queued = try await FaasCommand.run(["invoke", "fault", "-d", "exit", "--async"], against: server)
        let id = queued.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(queued.status == 0 && id.count == 32, "\(queued.errors)")
        var record: [String: Any] = [:]
        #expect(
            try await eventually(within: .seconds(30)) {
                record = try await Self.activation(server, id)
                return record["status"] as? String == "dead"
            }, "\(record)")
        // Three attempts (retries: 2 by default), 1 s and 2 s apart (±20 %).
        let history = try #require(record["history"] as? [[String: Any]])
        let finished = history.compactMap { ($0["finished"] as? String).flatMap(ISO8601DateFormatter().date(from:)) }
        #expect(history.count == 3 && record["attempts"] as? Int == 3)
        if finished.count == 3 {
            // ISO 8601 keeps whole seconds: the gaps are 1 s and 2 s give or take a second.
            #expect((0...2).contains(finished[1].timeIntervalSince(finished[0])))
            #expect((1...3).contains(finished[2].timeIntervalSince(finished[1])))
        }
        let logs = try await FaasCommand.run(["logs", id], against: server)
        #expect(logs.output.contains("dead") && logs.output.contains("attempt 1") && logs.output.contains("attempt 2"), "\(logs.output)")
        let dead = try await FaasCommand.run(["logs", "fault"], against: server)
        #expect(dead.output.contains(id))

        let retried = try await FaasCommand.run(["retry", id], against: server)
        #expect(retried.status == 0 && retried.output.contains("queued \(id)"), "\(retried.errors)")
        #expect(
            try await eventually(within: .seconds(30)) {
                record = try await Self.activation(server, id)
                return record["status"] as? String == "dead" && record["attempts"] as? Int == 6
            }, "\(record)")
        #expect(record["trigger"] as? String == "retry")
        let again = try await FaasCommand.run(["retry", "0123456789abcdef0123456789abcdef"], against: server)
        #expect(again.status != 0 && again.errors.contains("no activation"), "\(again.errors)")

        let metrics = try await Curl.request("GET", server.url + "/metrics").text
        #expect(metrics.contains("faas_async_retries_total{function=\"fault\"} 4"))
        #expect(metrics.contains("faas_async_dead_total{function=\"fault\"} 2"))
        #expect(await server.stop() == 0)
    }

    @Test func anIdempotencyKeyQueuesOnce() async throws {
        let scratch = try TemporaryFolder()
        let functions = try scratch.folder("functions")
        let server = try await FaasServer.start(data: scratch.url.appendingPathComponent("data"), in: scratch)
        let echo = try UserFunctions.example("echo", in: functions)
        #expect(try await FaasCommand.run(["deploy", echo.path], against: server).status == 0)
        var ids: [String] = []
        for body in ["first", "second"] {
            let queued = try await FaasCommand.run(
                ["invoke", "echo", "-d", body, "--async", "--idempotency-key", "invoice-42"], against: server)
            ids.append(queued.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(ids[0] == ids[1] && !ids[0].isEmpty)
        var result: HTTPAnswer?
        #expect(
            try await eventually {
                result = try await Curl.request("GET", server.url + "/activations/\(ids[0])/result")
                return result?.status == 200
            })
        #expect(result?.text == "first")
        let bad = try await Curl.request(
            "POST", server.url + "/invoke/echo", headers: [("X-Faas-Async", "true"), ("Idempotency-Key", String(repeating: "x", count: 300))])
        #expect(bad.status == 400 && bad.errorCode == "bad_request")
        let listed = try await Curl.request("GET", server.url + "/activations?function=echo").array ?? []
        #expect(listed.count == 1)
        #expect(await server.stop() == 0)
    }

    @Test func aScheduleTicksChangesWithRollbackAndStopsWithRemoval() async throws {
        let scratch = try TemporaryFolder()
        let functions = try scratch.folder("functions")
        let server = try await FaasServer.start(data: scratch.url.appendingPathComponent("data"), in: scratch)
        // The headers example answers its request as JSON: the tick's method shows.
        let folder = functions.appendingPathComponent("clock")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(Examples.module(named: "headers")).write(to: folder.appendingPathComponent("clock.wasm"))
        func deploy(schedule: String?) async throws {
            let lines = ["name: clock", "module: clock.wasm", "response: cgi"] + (schedule.map { ["schedule: \"\($0)\""] } ?? [])
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("function.yaml"))
            let deployed = try await FaasCommand.run(["deploy", folder.path], against: server)
            #expect(deployed.status == 0, "\(deployed.errors)")
        }
        func ticks() async throws -> [[String: Any]] {
            (try await Curl.request("GET", server.url + "/activations?function=clock&limit=1000").array ?? [])
                .filter { $0["trigger"] as? String == "schedule" }
        }

        let refused = try await FaasCommand.run(
            ["deploy", try UserFunctions.folder("bad", module: UserFunctions.constant("x"), settings: ["schedule: \"* * * 13 *\""], in: functions).path],
            against: server)
        #expect(refused.status != 0 && refused.errors.contains("schedule") && refused.errors.contains("month"), "\(refused.errors)")

        try await deploy(schedule: "@every 1s")  // version 1
        #expect(try await eventually(within: .seconds(20)) { try await ticks().count >= 3 })
        let first = try await ticks()
        let succeeded = try #require(first.first { $0["status"] as? String == "succeeded" })
        let id = try #require(succeeded["id"] as? String)
        let result = try await Curl.request("GET", server.url + "/activations/\(id)/result")
        #expect(result.text.contains("POST") && result.text.contains("clock"), "\(result.text)")
        // Each tick once: one activation per second.
        let seconds = first.compactMap { $0["created"] as? String }
        #expect(Set(seconds).count == seconds.count, "\(seconds)")

        try await deploy(schedule: nil)  // version 2: no schedule
        try await Task.sleep(for: .milliseconds(1500))
        let stopped = try await ticks().count
        try await Task.sleep(for: .milliseconds(2500))
        #expect(try await ticks().count == stopped, "a version without a schedule does not tick")

        #expect(try await FaasCommand.run(["rollback", "clock", "--to", "1"], against: server).status == 0)
        #expect(try await eventually(within: .seconds(20)) { try await ticks().count >= stopped + 2 }, "the rollback ticks again")

        #expect(try await FaasCommand.run(["rm", "clock"], against: server).status == 0)
        try await Task.sleep(for: .milliseconds(1500))
        let removed = try await Curl.request("GET", server.url + "/activations?function=clock&limit=1000").array?.count ?? 0
        try await Task.sleep(for: .milliseconds(2500))
        #expect(try await Curl.request("GET", server.url + "/activations?function=clock&limit=1000").array?.count == removed)
        #expect(await server.stop() == 0)
    }
}
