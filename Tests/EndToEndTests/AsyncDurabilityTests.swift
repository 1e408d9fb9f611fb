import Foundation
import SandboxTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A 202 is a promise that survives kill -9: `faas serve` is killed with SIGKILL at random points
/// while it accepts and runs async invocations, and restarted on the same data folder.
@Suite("End to end: durable async invocations", .serialized)
struct AsyncDurabilityTests {
    /// Kills in one run of the suite (the issue asks for at least 50).
    static let kills = 50

    @Test func everyAcceptedActivationSucceedsAcrossSIGKILLs() async throws {
        let scratch = try TemporaryFolder()
        let data = scratch.url.appendingPathComponent("data")
        let functions = try scratch.folder("functions")
        // Busy 15 ms, so that kills land in the middle of runs as well as of accepts and commits.
        let folder = try UserFunctions.folder(
            "work", module: UserFunctions.busy(milliseconds: 15),
            settings: ["capabilities: {clock: true}", "concurrency: 4", "queue: 100000", "warm: 1"], in: functions)
        var generator = SeededGenerator(seed: 0x5EED_A5C)
        var accepted: Set<String> = []
        var answered = 0
        for round in 0..<Self.kills {
            let server = try await FaasServer.start(data: data, in: scratch)
            if round == 0 {
                #expect(try await FaasCommand.run(["deploy", folder.path], against: server).status == 0)
            }
            let url = URL(string: server.url + "/invoke/work")!
            let seeds = (0..<4).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) }
            let senders = Task {
                try await withThrowingTaskGroup(of: [String].self) { group in
                    for seed in seeds { group.addTask { await Self.send(to: url, seed: seed) } }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...400, using: &generator)))
            #expect(await server.stop(signal: SIGKILL, timeout: .seconds(10)) == -SIGKILL, "round \(round)")
            let ids = try await senders.value
            answered += ids.count
            accepted.formUnion(ids)
        }
        #expect(answered == accepted.count, "every 202 named a new activation")
        #expect(accepted.count > Self.kills * 3, "too few invocations were accepted to test anything: \(accepted.count)")

        // After one more restart, every accepted activation runs to success, none more than twice.
        let server = try await FaasServer.start(data: data, in: scratch)
        var records: [String: [String: Any]] = [:]
        let done = await eventually(within: .seconds(120), every: .milliseconds(250)) {
            let answer = try? await Curl.request("GET", server.url + "/activations?function=work&limit=1000")
            for object in answer?.array ?? [] {
                if let id = object["id"] as? String { records[id] = object }
            }
            return accepted.allSatisfy { records[$0]?["status"] as? String == "succeeded" }
        }
        let stuck = accepted.filter { records[$0]?["status"] as? String != "succeeded" }
        #expect(done, "\(stuck.count) of \(accepted.count) did not succeed, e.g. \(stuck.prefix(3).map { records[$0] ?? [:] })")
        let attempts = accepted.compactMap { records[$0]?["attempts"] as? Int }
        #expect(attempts.allSatisfy { (1...2).contains($0) }, "attempts: \(Dictionary(grouping: attempts, by: { $0 }).mapValues(\.count))")
        let depth = try await Curl.request("GET", server.url + "/metrics").text
        #expect(depth.contains("faas_async_queue_depth{function=\"work\"} 0"))
        #expect(await server.stop() == 0)
    }

    /// Sends up to 4 async invocations, a random 0-60 ms apart, until the server goes away; answers
    /// the ids it got a 202 for. (At most 800 in all: the record log keeps 1,000 per function.)
    static func send(to url: URL, seed: UInt64) async -> [String] {
        var ids: [String] = []
        var generator = SeededGenerator(seed: seed)
        let session = URLSession(configuration: .ephemeral)
        defer { session.invalidateAndCancel() }
        for _ in 0..<4 {
            try? await Task.sleep(for: .milliseconds(Int.random(in: 0...60, using: &generator)))
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            request.httpBody = Data("job".utf8)
            request.setValue("true", forHTTPHeaderField: "X-Faas-Async")
            request.timeoutInterval = 10
            guard let (body, response) = try? await session.data(for: request),
                let status = (response as? HTTPURLResponse)?.statusCode
            else { return ids }
            guard status == 202 else {
                Issue.record("an async invocation was answered \(status): \(String(decoding: body, as: UTF8.self))")
                return ids
            }
            guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
                let id = object["activation"] as? String
            else { return ids }
            ids.append(id)
        }
        return ids
    }
}
