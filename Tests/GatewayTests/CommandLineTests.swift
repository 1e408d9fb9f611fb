import Foundation
import Gateway
import SandboxTesting
import Testing

@Suite("faas command line")
struct CommandLineTests {
    @Test func everyCommandsHelpShowsAnExample() async throws {
        for command in [
            [], ["serve"], ["deploy"], ["pack"], ["invoke"], ["ls"], ["info"], ["rm"], ["rollback"], ["logs"], ["cvms"],
        ] {
            let result = try await FaasCommand.run(command + ["--help"])
            #expect(result.status == 0, "\(command)")
            #expect(result.output.contains("Example"), "\(command): \(result.output)")
        }
        let client = try await FaasCommand.run(["ls", "--help"])
        #expect(client.output.contains("--gateway") && client.output.contains("--token"))
    }

    @Test func invokeSendsDataFileOrStdinAndPrintsTheBody() async throws {
        try await TestGateway.with { gateway in
            try await gateway.backend.deploy(
                "spinner", module: GuestFixtures.wasm(GuestFixtures.ivInfiniteLoop), settings: ["timeout: 300ms"])
            let url = "http://127.0.0.1:\(gateway.port)"
            let inline = try await FaasCommand.run(["invoke", "echo", "-d", "hi there", "--gateway", url])
            #expect(inline.status == 0, "\(inline.errors)")
            #expect(inline.output == "hi there")

            let scratch = try TemporaryFolder()
            let file = scratch.url.appendingPathComponent("payload.txt")
            try Data("from a file".utf8).write(to: file)
            let fromFile = try await FaasCommand.run(
                ["invoke", "echo", "-d", "@\(file.path)"], environment: ["FAAS_GATEWAY": url])
            #expect(fromFile.output == "from a file")

            let fromStdin = try await FaasCommand.run(
                ["invoke", "echo"], environment: ["FAAS_GATEWAY": url], input: Data("piped".utf8))
            #expect(fromStdin.output == "piped")
            let pinned = try await FaasCommand.run(
                ["invoke", "edition", "--pin", "1", "-d", ""], environment: ["FAAS_GATEWAY": url])
            #expect(pinned.output == "v1")

            let queued = try await FaasCommand.run(["invoke", "echo", "-d", "x", "--async", "--gateway", url])
            #expect(queued.status == 0)
            let id = queued.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await gateway.platform.activation(id: id)?.function == "echo")

            let failed = try await FaasCommand.run(["invoke", "spinner", "-d", "x", "--gateway", url])
            #expect(failed.status != 0)
            #expect(failed.errors.contains("timeout (HTTP 504)"), "\(failed.errors)")
            let missing = try await FaasCommand.run(["invoke", "ghost", "-d", "", "--gateway", url])
            #expect(missing.status != 0)
            #expect(missing.errors.contains("not_found"))
        }
    }

    @Test func manageFunctionsFromTheCommandLine() async throws {
        try await TestGateway.with({ $0.token = "tok" }) { gateway in
            let env = ["FAAS_GATEWAY": "http://127.0.0.1:\(gateway.port)", "FAAS_TOKEN": "tok"]
            let denied = try await FaasCommand.run(["ls"], environment: ["FAAS_GATEWAY": env["FAAS_GATEWAY"]!])
            #expect(denied.status != 0)
            #expect(denied.errors.contains("unauthorized"))

            let list = try await FaasCommand.run(["ls"], environment: env)
            #expect(list.status == 0, "\(list.errors)")
            let lines = list.output.split(separator: "\n")
            #expect(lines.first?.hasPrefix("NAME") == true)
            #expect(lines.contains { $0.hasPrefix("edition ") && $0.contains("editions") })
            // Columns line up: VERSION starts at the same offset in every line.
            let offset = try #require(lines.first?.range(of: "VERSION")).lowerBound.utf16Offset(in: String(lines[0]))
            #expect(
                lines.dropFirst().allSatisfy {
                    $0.count > offset && $0[$0.index($0.startIndex, offsetBy: offset - 1)] == " "
                })

            let listJSON = try await FaasCommand.run(["ls", "--json"], environment: env)
            #expect(
                try GatewayJSON.decode([FunctionSummary].self, from: listJSON.stdout).contains {
                    $0.name == "echo"
                })

            let info = try await FaasCommand.run([
                "info", "edition", "--token", "tok", "--gateway", env["FAAS_GATEWAY"]!,
            ])
            #expect(info.output.contains("version:  2"))
            #expect(info.output.contains(" running, 0 queued"))
            #expect(info.output.contains("current"))

            let rolled = try await FaasCommand.run(["rollback", "edition", "--to", "1"], environment: env)
            #expect(rolled.output.contains("edition is at version 1"), "\(rolled.errors)")
            #expect(try await FaasCommand.run(["invoke", "edition", "-d", ""], environment: env).output == "v1")
            let back = try await FaasCommand.run(["rollback", "edition"], environment: env)
            #expect(back.status != 0)  // there is no version before 1
            #expect(back.errors.contains("not_found"))

            let invoked = try await FaasCommand.run(["invoke", "echo", "-d", "one"], environment: env)
            #expect(invoked.output == "one")
            let logs = try await FaasCommand.run(["logs", "echo", "--limit", "5"], environment: env)
            #expect(logs.status == 0, "\(logs.errors)")
            #expect(logs.output.hasPrefix("ACTIVATION"))
            let row = try #require(logs.output.split(separator: "\n").dropFirst().first)
            #expect(row.contains(" echo ") && row.contains("succeeded"), "\(logs.output)")
            let id = try #require(row.split(separator: " ").first)
            let one = try await FaasCommand.run(["logs", String(id), "--json"], environment: env)
            #expect(try GatewayJSON.decode(ActivationInfo.self, from: one.stdout).id == String(id))
            let nothing = try await FaasCommand.run(["logs", "ghost"], environment: env)
            #expect(nothing.status != 0)

            var cvms = try await FaasCommand.run(["cvms"], environment: env)
            for _ in 0..<300 where !cvms.output.contains(" echo ") {
                try await Task.sleep(for: .milliseconds(20))
                cvms = try await FaasCommand.run(["cvms"], environment: env)
            }
            #expect(cvms.output.hasPrefix("ID"))
            #expect(cvms.output.contains(" echo ") && cvms.output.contains("sealed"), "\(cvms.output)")
            let cvmsJSON = try await FaasCommand.run(["cvms", "--json"], environment: env)
            #expect(
                try GatewayJSON.decode([CompartmentInfo].self, from: cvmsJSON.stdout).contains {
                    $0.function == "echo"
                })

            let removed = try await FaasCommand.run(["rm", "echo"], environment: env)
            #expect(removed.status == 0)
            let gone = try await FaasCommand.run(["info", "echo"], environment: env)
            #expect(gone.status != 0)
            #expect(gone.errors.contains("not_found (HTTP 404)"), "\(gone.errors)")
        }
    }

    @Test func deployAFolderOrAnArchiveAndPack() async throws {
        try await TestGateway.with { gateway in
            let env = ["FAAS_GATEWAY": "http://127.0.0.1:\(gateway.port)"]
            let scratch = try TemporaryFolder()
            let folder = scratch.url.appendingPathComponent("hello")
            try FileManager.default.createDirectory(
                at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
            try Data("name: hello\nmodule: hello.wasm\nabi: wasi\n".utf8).write(
                to: folder.appendingPathComponent("function.yaml"))
            try Data(Examples.module(named: "hello")).write(to: folder.appendingPathComponent("hello.wasm"))
            try Data("greeting".utf8).write(to: folder.appendingPathComponent("data/greeting.txt"))

            let deployed = try await FaasCommand.run(["deploy", folder.path], environment: env)
            #expect(deployed.status == 0, "\(deployed.errors)")
            #expect(deployed.output.hasPrefix("deployed hello version 1 ("), "\(deployed.output)")
            #expect(try await gateway.request("POST", "/invoke/hello", body: Array("CLI".utf8)).text == "Hello, CLI!\n")

            let packed = try await FaasCommand.run(["pack", folder.path, "-o", "out.tar.gz"], directory: scratch.url)
            #expect(packed.status == 0, "\(packed.errors)")
            let bytes = try Data(contentsOf: scratch.url.appendingPathComponent("out.tar.gz"))
            #expect(
                Set(try await Self.tarList(Array(bytes), in: scratch)) == [
                    "data/", "data/greeting.txt", "function.yaml", "hello.wasm",
                ])

            let again = try await FaasCommand.run(
                ["deploy", scratch.url.appendingPathComponent("out.tar.gz").path, "--json"], environment: env)
            let second = try GatewayJSON.decode(DeployResult.self, from: again.stdout)
            #expect(second.version == 2)
            // The folder packed on the fly and `faas pack` hold the same content: one image, one digest.
            let versions = try #require(try await gateway.platform.info(function: "hello")).versions
            #expect(versions.map(\.digest) == [second.digest, second.digest])

            let noManifest = try await FaasCommand.run(
                ["deploy", folder.appendingPathComponent("data").path], environment: env)
            #expect(noManifest.status != 0)
            #expect(noManifest.errors.contains("holds no function.yaml"))
            let notThere = try await FaasCommand.run(["deploy", "/nonexistent/fn.tar.gz"], environment: env)
            #expect(notThere.status != 0)
        }
    }

    @Test func anUnreachableGatewayIsAClearError() async throws {
        let result = try await FaasCommand.run(["ls", "--gateway", "http://127.0.0.1:1"])
        #expect(result.status != 0)
        #expect(result.errors.contains("cannot reach the gateway at http://127.0.0.1:1"))
        let bad = try await FaasCommand.run(["ls", "--gateway", "ftp://x"])
        #expect(bad.status != 0)
        #expect(bad.errors.contains("--gateway must be an http(s) URL"))
    }

    private static func tarList(_ archive: [UInt8], in scratch: TemporaryFolder) async throws -> [String] {
        let file = scratch.url.appendingPathComponent("list-\(UUID().uuidString).tar.gz")
        try Data(archive).write(to: file)
        let listing = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/env"), ["tar", "-tzf", file.path])
        #expect(listing.status == 0, "\(listing.errors)")
        return listing.output.split(separator: "\n").map(String.init)
    }
}

@Suite("faas new, faas build, client options before the subcommand")
struct NewFunctionCommandTests {
    @Test func clientOptionsMayComeBeforeTheSubcommand() async throws {
        try await TestGateway.with({ $0.token = "tok" }) { gateway in
            let url = "http://127.0.0.1:\(gateway.port)"
            let before = try await FaasCommand.run(["--gateway", url, "--token", "tok", "ls"])
            #expect(before.status == 0, "\(before.errors)")
            #expect(before.output.contains("echo"))
            let mixed = try await FaasCommand.run(["--gateway=\(url)", "invoke", "echo", "-d", "hi", "--token", "tok"])
            #expect(mixed.output == "hi", "\(mixed.errors)")
            let nested = try await FaasCommand.run(["--token", "tok", "--gateway", url, "kv", "ls"])
            #expect(nested.status == 0, "\(nested.errors)")
            let after = try await FaasCommand.run(["ls", "--gateway", url, "--token", "tok"])
            #expect(after.output == before.output)
            // An option the command does not have is still the parser's error.
            let wrong = try await FaasCommand.run(["--gateway", url, "serve", "--port", "0"])
            #expect(wrong.status != 0)
        }
    }

    // One case at a time: the cases' optimised clang and rustc builds together take both cores, and
    // the JavaScript case, whose cold start runs under the function's 5 s wall-clock timeout, once
    // answered 504 beside them.
    @Test(.serialized, arguments: [("c", "wasi"), ("c", "iv"), ("rust", "wasi"), ("rust", "iv"), ("js", nil)] as [(String, String?)])
    func aNewFunctionBuildsDeploysAndAnswers(language: String, abi: String?) async throws {
        let scratch = try TemporaryFolder()
        let name = "fresh-\(language)\(abi.map { "-\($0)" } ?? "")"
        var arguments = ["new", name, "--lang", language]
        if let abi { arguments += ["--abi", abi] }
        let created = try await FaasCommand.run(arguments, directory: scratch.url)
        #expect(created.status == 0, "\(created.errors)")
        let folder = scratch.url.appendingPathComponent(name)
        let manifest = try String(contentsOf: folder.appendingPathComponent("function.yaml"), encoding: .utf8)
        #expect(manifest.contains("name: \(name)"))
        #expect(manifest.contains("build:") == (language != "js"))
        let again = try await FaasCommand.run(arguments, directory: scratch.url)
        #expect(again.status != 0 && again.errors.contains("already exists"))
        if language != "js" {
            let built = try await FaasCommand.run(["build", name], directory: scratch.url)
            #expect(built.status == 0, "\(built.errors)")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(name).wasm").path))
        }
        try await TestGateway.with { gateway in
            let url = "http://127.0.0.1:\(gateway.port)"
            let deployed = try await FaasCommand.run(["deploy", name, "--gateway", url], directory: scratch.url)
            #expect(deployed.status == 0, "\(deployed.errors)")
            let answer = try await FaasCommand.run(["invoke", name, "-d", "you", "--gateway", url])
            #expect(answer.output == "Hello, you!\n", "\(answer.errors)")
            let world = try await FaasCommand.run(["invoke", name, "-d", "", "--gateway", url])
            #expect(world.output == "Hello, world!\n", "\(world.errors)")
        }
    }

    @Test func badNamesLanguagesAndFailingBuildsAreClearErrors() async throws {
        let scratch = try TemporaryFolder()
        let badName = try await FaasCommand.run(["new", "Bad_Name"], directory: scratch.url)
        #expect(badName.status != 0 && badName.errors.contains("must match"))
        let badLanguage = try await FaasCommand.run(["new", "x", "--lang", "cobol"], directory: scratch.url)
        #expect(badLanguage.status != 0 && badLanguage.errors.contains("--lang"))
        let jsABI = try await FaasCommand.run(["new", "x", "--lang", "js", "--abi", "wasi"], directory: scratch.url)
        #expect(jsABI.status != 0)
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("x").path))

        let folder = scratch.url.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("name: broken\nmodule: broken.wasm\nbuild: \"exit 3\"\n".utf8)
            .write(to: folder.appendingPathComponent("function.yaml"))
        let failed = try await FaasCommand.run(["build", "broken"], directory: scratch.url)
        #expect(failed.status != 0 && failed.errors.contains("status 3"), "\(failed.errors)")
        // deploy runs the build first, and stops when it fails: nothing is sent.
        let deploy = try await FaasCommand.run(["deploy", "broken", "--gateway", "http://127.0.0.1:1"], directory: scratch.url)
        #expect(deploy.status != 0 && deploy.errors.contains("status 3"), "\(deploy.errors)")
    }
}
