import Foundation
import SandboxTesting
import Testing

/// Several `faas serve` processes on one real PostgreSQL registry (SPEC "(v2) Several nodes on one
/// registry"): what one node changes, every node serves; async work survives the node running it.
@Suite(.serialized) struct ClusterTests {
    /// Three nodes on a fresh database of the test PostgreSQL server.
    struct Cluster {
        let scratch: TemporaryFolder
        let url: String
        let nodes: [FaasServer]

        static func start(count: Int = 3) async throws -> Cluster {
            let scratch = try TemporaryFolder(prefix: "faas-cluster")
            let url = try PostgresServer.shared.get().createDatabase(prefix: "cluster")
            var nodes: [FaasServer] = []
            for index in 1...count {
                // The second node takes its registry and name from the environment, as the cluster script passes them.
                let (options, environment) =
                    index == 2
                    ? ([], ["FAAS_REGISTRY": url, "FAAS_NODE": "node\(index)"])
                    : (["--registry", url, "--node", "node\(index)"], [:])
                nodes.append(
                    try await FaasServer.start(
                        data: try scratch.folder("node\(index)"), options: options, environment: environment, in: scratch))
            }
            return Cluster(scratch: scratch, url: url, nodes: nodes)
        }

        func deploy(_ folder: URL, on node: FaasServer) async throws {
            let result = try await FaasCommand.run(["deploy", folder.path], against: node)
            #expect(result.status == 0, "deploy: \(result.errors)")
        }
    }

    /// Polls `node` until `POST /invoke/NAME` answers `expected` (status and body); how long it took,
    /// or nil if it never did within `limit`.
    static func servedWithin(
        _ limit: Duration, _ node: FaasServer, _ name: String, status: Int = 200, body expected: String? = nil
    ) async throws -> Duration? {
        let start = ContinuousClock.now
        let served = try await eventually(within: limit, every: .milliseconds(20)) {
            let answer = try await Curl.request("POST", node.url + "/invoke/" + name, body: Data("x".utf8))
            return answer.status == status && (expected == nil || answer.text == expected)
        }
        return served ? ContinuousClock.now - start : nil
    }

    @Test func deployRollbackAndRemovalOnOneNodeAreServedByEveryNodeWithin2Seconds() async throws {
        let cluster = try await Cluster.start()
        let (first, second, third) = (cluster.nodes[0], cluster.nodes[1], cluster.nodes[2])
        let parent = try cluster.scratch.folder("functions")

        try await cluster.deploy(try UserFunctions.folder("shared", module: try UserFunctions.constant("one"), in: parent), on: first)
        for node in cluster.nodes {
            #expect(try await Self.servedWithin(.seconds(2), node, "shared", body: "one") != nil, "v1 on \(node.url)")
        }
        // A synchronous activation's record is final within 1 s of its answer (SPEC) on every node, not
        // only on the one that ran it, which serves it from memory until its writer has stored it.
        let answered = try await Curl.request("POST", first.url + "/invoke/shared", body: Data("x".utf8))
        let answeredAt = ContinuousClock.now
        let activation = try #require(answered.header("X-Faas-Activation"))
        let finalEverywhere = try await eventually(within: .seconds(1), every: .milliseconds(20)) {
            for node in [second, third] {
                let record = try await Curl.request("GET", node.url + "/activations/" + activation).object
                guard record?["status"] as? String == "succeeded", record?["node"] as? String == "node1" else { return false }
            }
            return true
        }
        #expect(finalEverywhere, "\(activation) not final on every node \(ContinuousClock.now - answeredAt) after its answer")
        // Every node now holds a warm compartment of v1; v2 deployed on the second must replace it everywhere.
        let v2 = parent.appendingPathComponent("v2")
        try await cluster.deploy(try UserFunctions.folder("shared", module: try UserFunctions.constant("two"), in: v2), on: second)
        for node in cluster.nodes {
            #expect(try await Self.servedWithin(.seconds(2), node, "shared", body: "two") != nil, "v2 on \(node.url)")
        }
        let rollback = try await FaasCommand.run(["rollback", "shared"], against: third)
        #expect(rollback.status == 0, "rollback: \(rollback.errors)")
        for node in cluster.nodes {
            #expect(try await Self.servedWithin(.seconds(2), node, "shared", body: "one") != nil, "rollback on \(node.url)")
        }
        let removal = try await FaasCommand.run(["rm", "shared"], against: first)
        #expect(removal.status == 0, "rm: \(removal.errors)")
        for node in cluster.nodes {
            #expect(try await Self.servedWithin(.seconds(2), node, "shared", status: 404) != nil, "removal on \(node.url)")
        }
        // Every node lists the three, with their addresses.
        let listed = try await eventually(within: .seconds(10)) {
            let answer = try await Curl.request("GET", third.url + "/nodes")
            return (answer.array ?? []).compactMap { $0["node"] as? String }.sorted() == ["node1", "node2", "node3"]
        }
        #expect(listed)
        let rows = try await Curl.request("GET", first.url + "/nodes").array ?? []
        #expect(rows.contains { ($0["address"] as? String) == second.url && $0["last_seen"] is String })
        let table = try await FaasCommand.run(["nodes"], against: second)
        #expect(table.status == 0 && table.output.contains("node3") && table.output.contains("COMPARTMENTS"))
    }

    @Test func incrementsFromEveryNodeNeverLoseAnUpdate() async throws {
        let cluster = try await Cluster.start()
        let parent = try cluster.scratch.folder("functions")
        try await cluster.deploy(try UserFunctions.example("counter", in: parent), on: cluster.nodes[0])
        let perNode = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in cluster.nodes {
                for _ in 0..<4 {
                    group.addTask {
                        for _ in 0..<(perNode / 4) {
                            let answer = try await Curl.request("POST", node.url + "/invoke/counter", body: Data("everyone".utf8))
                            #expect(answer.status == 200, "\(answer.status) \(answer.text)")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let stored = try await Curl.request("GET", cluster.nodes[2].url + "/kv/counters/everyone")
        #expect(stored.text == String(perNode * cluster.nodes.count))
    }

    @Test func anAsyncActivationSurvivesTheKillOfTheNodeRunningIt() async throws {
        let cluster = try await Cluster.start()
        let parent = try cluster.scratch.folder("functions")
        // The first attempt waits on a gate the test opens only after killing its node: it is
        // surely running at the kill, and no guest burns a core meanwhile.
        let gate = try Gate()
        try await cluster.deploy(
            try UserFunctions.folder(
                "slow", module: try GuestFixtures.wasm(GuestFixtures.heldCall(gate.request)),
                settings: ["timeout: 60s"] + Gate.loopbackGrant, in: parent),
            on: cluster.nodes[0])
        let accepted = try await Curl.request(
            "POST", cluster.nodes[1].url + "/invoke/slow", body: Data("x".utf8), headers: [("X-Faas-Async", "true")])
        #expect(accepted.status == 202)
        let id = try #require(accepted.object?["activation"] as? String)
        var runner: String?
        let running = try await eventually(within: .seconds(30), every: .milliseconds(20)) {
            let record = try await Curl.request("GET", cluster.nodes[2].url + "/activations/" + id).object
            runner = record?["node"] as? String
            return record?["status"] as? String == "running" && runner != nil
        }
        try #require(running, "the activation never started")
        let index = try #require(runner.flatMap { Int($0.dropFirst("node".count)) })
        let victim = cluster.nodes[index - 1]
        _ = await victim.stop(signal: SIGKILL)
        gate.open()
        let killed = ContinuousClock.now
        let survivor = try #require(cluster.nodes.first { $0.isRunning })
        // The lease (30 s) runs out, another node's reaper re-queues it, and it runs again there:
        // within 60 s of the kill (SPEC).
        let finished = try await eventually(within: .seconds(60), every: .milliseconds(200)) {
            let record = try await Curl.request("GET", survivor.url + "/activations/" + id).object
            return record?["status"] as? String == "succeeded"
        }
        #expect(finished, "the activation did not run again elsewhere")
        let record = try await Curl.request("GET", survivor.url + "/activations/" + id).object
        #expect((record?["attempts"] as? Int ?? 0) >= 2)
        #expect(record?["node"] as? String != runner, "it ran again on another node")
        // GET /nodes lists the nodes seen in the last 30 s: the dead one drops out (its last
        // heartbeat was at most 5 s before the kill).
        let listed = { () async throws -> [String] in
            (try await Curl.request("GET", survivor.url + "/nodes").array ?? []).compactMap { $0["node"] as? String }
        }
        let dropped = try await eventually(within: .seconds(40) - (ContinuousClock.now - killed), every: .milliseconds(500)) {
            try await !listed().contains(runner ?? "")
        }
        let remaining = try await listed()
        #expect(dropped, "the killed node still listed 40 s after: \(remaining)")
        #expect(remaining.count == 2)
    }

    @Test func aScheduleFiresOncePerTickAcrossTheCluster() async throws {
        let cluster = try await Cluster.start()
        let parent = try cluster.scratch.folder("functions")
        try await cluster.deploy(
            try UserFunctions.folder(
                "ticker", module: try UserFunctions.constant("tick"), settings: ["schedule: \"@every 1s\""], in: parent),
            on: cluster.nodes[0])
        try await Task.sleep(for: .seconds(6))
        let answer = try await Curl.request("GET", cluster.nodes[1].url + "/activations?function=ticker&limit=1000")
        let records = answer.array ?? []
        let ticks = records.filter { $0["trigger"] as? String == "schedule" }
        // About one a second from the deploy on, counted once however many nodes run the schedule.
        #expect((3...8).contains(ticks.count), "\(ticks.count) scheduled activations in 6 s on 3 nodes")
        let nodes = Set(ticks.compactMap { $0["node"] as? String })
        #expect(!nodes.isEmpty)
    }

    @Test func anImmediateRestartOfPostgreSQLUnderLoadIsRiddenOutAndRecoveredFrom() async throws {
        // A server of its own: the shared one serves tests running at the same time.
        let postgres = try PostgresServer()
        let scratch = try TemporaryFolder(prefix: "faas-cluster")
        let url = try postgres.createDatabase(prefix: "restart")
        let node = try await FaasServer.start(
            data: try scratch.folder("node"), options: ["--registry", url, "--node", "solo"], in: scratch)
        let parent = try scratch.folder("functions")
        let deployed = try await FaasCommand.run(
            ["deploy", try UserFunctions.folder("steady", module: try UserFunctions.constant("up"), in: parent).path],
            against: node)
        #expect(deployed.status == 0, "\(deployed.errors)")
        #expect(try await Self.servedWithin(.seconds(5), node, "steady", body: "up") != nil)

        // Load on the loaded function while PostgreSQL dies and comes back.
        let load = Task {
            var answers: [Int] = []
            while !Task.isCancelled {
                answers.append((try? await Curl.request("POST", node.url + "/invoke/steady", body: Data("x".utf8)))?.status ?? 0)
            }
            return answers
        }
        try await Task.sleep(for: .milliseconds(500))
        try postgres.stopImmediately()
        let during = try await Curl.request("GET", node.url + "/functions")
        #expect(during.status == 503 && during.errorCode == "unavailable", "\(during.status) \(during.text)")
        try await Task.sleep(for: .seconds(1))
        try postgres.start()
        let recovered = try await eventually(within: .seconds(30), every: .milliseconds(200)) {
            try await Curl.request("GET", node.url + "/functions").status == 200
        }
        load.cancel()
        let answers = await load.value
        #expect(recovered, "the node did not recover after PostgreSQL came back")
        #expect(!answers.isEmpty && answers.allSatisfy { $0 == 200 }, "a loaded function kept answering: \(Set(answers))")
        // And it can change things again.
        let again = try await FaasCommand.run(
            ["deploy", try UserFunctions.folder("steady", module: try UserFunctions.constant("again"), in: scratch.folder("v2")).path],
            against: node)
        #expect(again.status == 0, "\(again.errors)")
        #expect(try await Self.servedWithin(.seconds(5), node, "steady", body: "again") != nil)
        _ = await node.stop()
        try? postgres.stopImmediately()
    }

    @Test func haproxySendsEachFunctionToOneNodeWhileItIsHealthyAndMovesItWhenThatNodeDies() async throws {
        let cluster = try await Cluster.start()
        let balancer = try await Balancer.start(over: cluster.nodes)
        let parent = try cluster.scratch.folder("functions")
        let names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
        for name in names {
            let folder = try UserFunctions.folder(name, module: try UserFunctions.constant(name), in: parent)
            let deployed = try await FaasCommand.run(["deploy", folder.path], environment: ["FAAS_GATEWAY": balancer.url])
            #expect(deployed.status == 0, "deploy through HAProxy: \(deployed.errors)")
        }

        /// The node that answered each of `count` calls of `name` through HAProxy, and how each started.
        func answers(_ name: String, _ count: Int) async throws -> [(node: String, status: Int, start: String)] {
            var seen: [(node: String, status: Int, start: String)] = []
            for _ in 0..<count {
                let answer = try await Curl.request("POST", balancer.url + "/invoke/" + name, body: Data("x".utf8))
                seen.append((answer.header("x-faas-lb-server") ?? "?", answer.status, answer.header("x-faas-start") ?? "?"))
            }
            return seen
        }

        var homes: [String: String] = [:]
        for name in names {
            let seen = try await answers(name, 12)
            #expect(seen.allSatisfy { $0.status == 200 }, "\(name): \(seen)")
            #expect(Set(seen.map(\.node)).count == 1, "\(name) went to one node: \(seen.map(\.node))")
            // Affinity is what keeps it warm: one cold start, then the same warm compartment.
            #expect(seen.dropFirst().allSatisfy { $0.start == "warm" }, "\(name): \(seen.map(\.start))")
            homes[name] = seen[0].node
        }
        #expect(Set(homes.values).count >= 2, "six functions spread over the nodes: \(homes)")
        // Management goes to any node.
        var managers: Set<String> = []
        for _ in 0..<6 {
            let listed = try await Curl.request("GET", balancer.url + "/functions")
            #expect(listed.status == 200)
            managers.insert(listed.header("x-faas-lb-server") ?? "?")
        }
        #expect(managers.count >= 2, "management round robin: \(managers)")

        // The home of alpha dies. Calls in the second before the checks notice are retried on another
        // node (the connection is refused); then alpha has one new home and the other functions stay put.
        let home = try #require(homes["alpha"])
        let victim = cluster.nodes[try #require(Int(home.dropFirst("node".count))) - 1]
        _ = await victim.stop(signal: SIGKILL)
        let during = try await answers("alpha", 10)
        #expect(during.allSatisfy { $0.status == 200 && $0.node != home }, "while the checks notice: \(during)")
        let noticed = try await eventually(within: .seconds(10), every: .milliseconds(100)) {
            try await balancer.serverStates()[home] == "DOWN"
        }
        #expect(noticed, "HAProxy saw the node go down: \(balancer.output)")
        let after = try await answers("alpha", 12)
        #expect(after.allSatisfy { $0.status == 200 }, "\(after)")
        #expect(Set(after.map(\.node)).count == 1 && after[0].node != home, "alpha moved to one node: \(after)")
        for name in names where homes[name] != home {
            let seen = try await answers(name, 3)
            #expect(seen.allSatisfy { $0.node == homes[name] && $0.start == "warm" }, "\(name) stayed home: \(seen)")
        }
    }

    @Test func theClusterScriptRunsPostgreSQLThreeGatewaysAndHAProxyAndStopsThem() async throws {
        let scratch = try TemporaryFolder(prefix: "faas-cluster-script")
        // PostgreSQL runs as its own user when the tests run as root: it must reach the folder.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scratch.url.path)
        let folder = scratch.url.appendingPathComponent("cluster").path
        let script = Examples.packageRoot.appendingPathComponent("deploy/cluster/cluster")
        let base = LoopbackPort.free() / 10 * 10
        let environment = ["FAAS_BIN": FaasCommand.executable.path]
        func cluster(_ arguments: [String]) async throws -> ProcessResult {
            try await ChildProcess.run(
                script, arguments + ["--folder", folder], environment: environment, directory: Examples.packageRoot,
                timeout: .seconds(180))
        }
        let up = try await cluster(["up", "--base-port", String(base)])
        #expect(up.status == 0, "up: \(up.output) \(up.errors)")
        let balancer = "http://127.0.0.1:\(base)"
        let parent = try scratch.folder("functions")
        let deployed = try await FaasCommand.run(
            ["deploy", try UserFunctions.folder("tried", module: try UserFunctions.constant("yes"), in: parent).path],
            environment: ["FAAS_GATEWAY": balancer])
        #expect(deployed.status == 0, "\(deployed.errors)")
        for port in [base, base + 1, base + 2, base + 3] {
            let answer = try await Curl.request("POST", "http://127.0.0.1:\(port)/invoke/tried", body: Data("x".utf8))
            #expect(answer.status == 200 && answer.text == "yes", "port \(port): \(answer.status) \(answer.text)")
        }
        let status = try await cluster(["status"])
        #expect(status.status == 0 && status.output.contains("haproxy sees node3 UP"), "\(status.output)")
        let password = try String(contentsOfFile: folder + "/pg-password", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!password.isEmpty && !up.output.contains(password) && !status.output.contains(password))
        let down = try await cluster(["down", "--purge"])
        #expect(down.status == 0, "down: \(down.output) \(down.errors)")
        #expect(!FileManager.default.fileExists(atPath: folder))
        let gone = try? await Curl.request("GET", balancer + "/healthz")
        #expect(gone == nil || gone?.status != 200)
    }

    @Test func aSingleNodeOnSQLiteListsItself() async throws {
        let scratch = try TemporaryFolder(prefix: "faas-cluster")
        // No --node and no FAAS_NODE: the node is named HOSTNAME:PORT.
        let server = try await FaasServer.start(data: try scratch.folder("data"), in: scratch)
        let name = ProcessInfo.processInfo.hostName + ":\(server.port)"
        let listed = try await eventually(within: .seconds(10)) {
            let rows = try await Curl.request("GET", server.url + "/nodes").array ?? []
            return rows.count == 1 && rows[0]["node"] as? String == name && rows[0]["address"] as? String == server.url
                && rows[0]["compartments"] is Int && rows[0]["running"] is Int && rows[0]["started"] is String
        }
        #expect(listed)
    }

    @Test func aWrongPasswordOrAnUnreachableRegistryStopsServeWithinSecondsWithoutThePassword() async throws {
        let server = try PostgresServer.shared.get()
        let scratch = try TemporaryFolder(prefix: "faas-cluster")
        let wrong = "postgres://\(PostgresServer.user):not-the-password-42@127.0.0.1:\(server.port)/postgres"
        let unreachable = "postgres://faas:secret-77@127.0.0.1:1/faas"
        for (url, password, words) in [
            (wrong, "not-the-password-42", "password authentication failed"), (unreachable, "secret-77", "registry"),
        ] {
            let start = ContinuousClock.now
            let result = try await FaasCommand.run(
                ["serve", "--port", "0", "--data", try scratch.folder(UUID().uuidString).path, "--registry", url],
                against: nil)
            #expect(result.status != 0)
            #expect(ContinuousClock.now - start < .seconds(30))
            #expect(result.errors.contains(words), "\(result.errors)")
            #expect(!result.errors.contains(password) && !result.output.contains(password))
        }
        let malformed = try await FaasCommand.run(["serve", "--port", "0", "--registry", "mysql://x@y/z"], against: nil)
        #expect(malformed.status != 0 && malformed.errors.contains("postgres://"))
    }
}
