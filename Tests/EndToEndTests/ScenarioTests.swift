import Foundation
import SandboxTesting
import Testing

/// The whole product as a user meets it: the `faas` binary serving, and its client commands and
/// curl talking to it over real HTTP, with real SQLite and images in a temporary data folder.
@Suite("End to end: a user's session")
struct ScenarioTests {
    @Test func serveDeployInvokeManageRestartRemove() async throws {
        let scratch = try TemporaryFolder()
        let data = scratch.url.appendingPathComponent("data")
        let functions = try scratch.folder("functions")
        var server = try await FaasServer.start(data: data, in: scratch)

        let health = try await Curl.request("GET", server.url + "/healthz")
        #expect(health.status == 200 && health.text == "ok")

        // The source folder holds no module: refused, naming it, and nothing is stored.
        let unbuilt = try await FaasCommand.run(["deploy", Examples.sourceDirectory(named: "echo").path], against: server)
        #expect(unbuilt.status != 0)
        #expect(unbuilt.errors.contains("echo.wasm"), "\(unbuilt.errors)")

        // A folder (packed on the fly) and a built archive.
        let echo = try UserFunctions.example("echo", in: functions)
        let deployedEcho = try await FaasCommand.run(["deploy", echo.path], against: server)
        #expect(deployedEcho.status == 0, "\(deployedEcho.errors)")
        #expect(deployedEcho.output.hasPrefix("deployed echo version 1 ("), "\(deployedEcho.output)")
        _ = try Examples.archive(named: "hello")
        let helloArchive = Examples.functionsDirectory.appendingPathComponent("build/hello.tar.gz")
        let deployedHello = try await FaasCommand.run(["deploy", helloArchive.path], against: server)
        #expect(deployedHello.output.hasPrefix("deployed hello version 1 ("), "\(deployedHello.errors)")

        // Invoke through curl: body, and the platform's headers.
        let viaCurl = try await Curl.request("POST", server.url + "/invoke/echo", body: Data("hello, curl".utf8))
        #expect(viaCurl.status == 200)
        #expect(viaCurl.text == "hello, curl")
        let activation = try #require(viaCurl.header("X-Faas-Activation"))
        #expect(["cold", "warm"].contains(viaCurl.header("X-Faas-Start") ?? ""))
        #expect(Int(viaCurl.header("X-Faas-Duration-Us") ?? "") != nil)
        let greeted = try await Curl.request("POST", server.url + "/invoke/hello", body: Data("Ada".utf8))
        #expect(greeted.status == 200 && greeted.text == "Hello, Ada!\n")

        // Invoke through the CLI: -d, and stdin byte for byte.
        let viaCLI = try await FaasCommand.run(["invoke", "hello", "-d", "Grace"], against: server)
        #expect(viaCLI.status == 0 && viaCLI.output == "Hello, Grace!\n", "\(viaCLI.errors)")
        let binary = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let piped = try await FaasCommand.run(["invoke", "echo"], against: server, input: binary)
        #expect(piped.status == 0 && piped.stdout == binary)

        // Async: the activation id now, the stored result later.
        let queued = try await FaasCommand.run(["invoke", "echo", "-d", "later", "--async"], against: server)
        let asyncID = queued.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(queued.status == 0 && !asyncID.isEmpty)
        var stored: HTTPAnswer?
        #expect(
            try await eventually {
                stored = try await Curl.request("GET", server.url + "/activations/\(asyncID)/result")
                return stored?.status == 200
            })
        #expect(stored?.text == "later")

        // Logs: of a function, and of one activation.
        let logs = try await FaasCommand.run(["logs", "echo", "--limit", "5"], against: server)
        #expect(logs.status == 0 && logs.output.hasPrefix("ACTIVATION"), "\(logs.errors)")
        #expect(logs.output.contains(activation))
        let one = try await FaasCommand.run(["logs", activation], against: server)
        #expect(one.status == 0)
        #expect(one.output.contains(activation) && one.output.contains("succeeded"), "\(one.output)")

        // A second version, then rollback to the first.
        let yaml = echo.appendingPathComponent("function.yaml")
        try Data((String(contentsOf: yaml, encoding: .utf8) + "env: { EDITION: \"2\" }\n").utf8).write(to: yaml)
        let second = try await FaasCommand.run(["deploy", echo.path], against: server)
        #expect(second.output.hasPrefix("deployed echo version 2 "), "\(second.output) \(second.errors)")
        let info = try await FaasCommand.run(["info", "echo"], against: server)
        #expect(info.output.contains("version:  2"), "\(info.output)")
        #expect(info.output.split(separator: "\n").contains { $0.hasPrefix("2 ") && $0.hasSuffix("current") })
        let rolled = try await FaasCommand.run(["rollback", "echo"], against: server)
        #expect(rolled.status == 0 && rolled.output.hasPrefix("echo is at version 1 ("), "\(rolled.errors)")
        let forward = try await FaasCommand.run(["rollback", "echo", "--to", "2"], against: server)
        #expect(forward.output.hasPrefix("echo is at version 2 "))
        let back = try await FaasCommand.run(["rollback", "echo", "--to", "1"], against: server)
        #expect(back.output.hasPrefix("echo is at version 1 "))
        let pinned = try await Curl.request("POST", server.url + "/invoke/echo?version=2", body: Data("v2".utf8))
        #expect(pinned.status == 200 && pinned.text == "v2")

        // The list and the live compartments (prewarming runs in the background: poll).
        let list = try await FaasCommand.run(["ls"], against: server)
        let rows = list.output.split(separator: "\n")
        #expect(rows.first?.hasPrefix("NAME") == true)
        #expect(rows.contains { $0.hasPrefix("echo ") } && rows.contains { $0.hasPrefix("hello ") }, "\(list.output)")
        var cvms = ProcessResult(status: -1, stdout: Data(), stderr: Data())
        #expect(
            try await eventually {
                cvms = try await FaasCommand.run(["cvms"], against: server)
                let lines = cvms.output.split(separator: "\n")
                return lines.contains { $0.contains(" echo ") } && lines.contains { $0.contains(" hello ") }
            }, "\(cvms.output)")
        #expect(cvms.output.hasPrefix("ID") && cvms.output.contains("sealed"))
        let metrics = try await Curl.request("GET", server.url + "/metrics")
        #expect(
            metrics.text.split(separator: "\n").contains {
                $0.hasPrefix("faas_invocations_total{") && $0.contains("function=\"echo\"")
            })

        // Restart: functions, versions, the current pointer and activations survive.
        #expect(await server.stop() == 0, "\(server.output)")
        server = try await FaasServer.start(data: data, in: scratch)
        let restored = try await Curl.request("GET", server.url + "/functions/echo")
        #expect(restored.object?["version"] as? Int == 1)
        #expect((restored.object?["versions"] as? [[String: Any]])?.compactMap { $0["version"] as? Int } == [1, 2])
        let listed = try await FaasCommand.run(["ls", "--json"], against: server)
        let names = ((try? JSONSerialization.jsonObject(with: listed.stdout)) as? [[String: Any]])?.compactMap {
            $0["name"] as? String
        }
        #expect(names == ["echo", "hello"])
        #expect(
            try await Curl.request("POST", server.url + "/invoke/hello", body: Data("again".utf8)).text
                == "Hello, again!\n")
        #expect(
            try await Curl.request("GET", server.url + "/activations/\(activation)").object?["status"] as? String
                == "succeeded")

        // Remove.
        let removed = try await FaasCommand.run(["rm", "hello"], against: server)
        #expect(removed.status == 0 && removed.output == "removed hello\n")
        let gone = try await FaasCommand.run(["info", "hello"], against: server)
        #expect(gone.status != 0 && gone.errors.contains("not_found"))
        let afterList = try await FaasCommand.run(["ls"], against: server)
        #expect(!afterList.output.split(separator: "\n").contains { $0.hasPrefix("hello ") })
        let invokeGone = try await Curl.request("POST", server.url + "/invoke/hello")
        #expect(invokeGone.status == 404 && invokeGone.errorCode == "not_found")
        #expect(await server.stop() == 0, "\(server.output)")
    }
}
