import Foundation
import Gateway
import Testing

@Suite("faas command line")
struct CommandLineTests {
    @Test func everyCommandsHelpShowsAnExample() async throws {
        for command in [[], ["serve"], ["deploy"], ["pack"], ["invoke"], ["ls"], ["info"], ["rm"], ["rollback"], ["logs"], ["cvms"]] {
            let result = try await FaasProcess.run(command + ["--help"])
            #expect(result.status == 0, "\(command)")
            #expect(result.stdout.contains("Example"), "\(command): \(result.stdout)")
        }
        let client = try await FaasProcess.run(["ls", "--help"])
        #expect(client.stdout.contains("--gateway") && client.stdout.contains("--token"))
    }

    @Test func invokeSendsDataFileOrStdinAndPrintsTheBody() async throws {
        try await TestGateway.with { gateway in
            let url = "http://127.0.0.1:\(gateway.port)"
            let inline = try await FaasProcess.run(["invoke", "echo", "-d", "hi there", "--gateway", url])
            #expect(inline.status == 0, "\(inline.stderr)")
            #expect(inline.stdout.contains("method=POST\npath=\n") && inline.stdout.contains("body=hi there"))

            let scratch = try TemporaryDirectory()
            let file = scratch.url.appendingPathComponent("payload.txt")
            try Data("from a file".utf8).write(to: file)
            let fromFile = try await FaasProcess.run(["invoke", "echo", "-d", "@\(file.path)"], environment: ["FAAS_GATEWAY": url])
            #expect(fromFile.stdout.contains("body=from a file"))

            let fromStdin = try await FaasProcess.run(["invoke", "echo", "--pin", "1"], environment: ["FAAS_GATEWAY": url], stdin: Data("piped".utf8))
            #expect(fromStdin.stdout.contains("body=piped") && fromStdin.stdout.contains("version=1"))

            let queued = try await FaasProcess.run(["invoke", "echo", "-d", "x", "--async", "--gateway", url])
            #expect(queued.status == 0)
            #expect(queued.stdout.hasPrefix("act"))

            let failed = try await FaasProcess.run(["invoke", "fail-timeout", "-d", "x", "--gateway", url])
            #expect(failed.status != 0)
            #expect(failed.stderr.contains("timeout (HTTP 504): provoked timeout"))
            let missing = try await FaasProcess.run(["invoke", "ghost", "-d", "", "--gateway", url])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("not_found"))
        }
    }

    @Test func manageFunctionsFromTheCommandLine() async throws {
        try await TestGateway.with({ $0.token = "tok" }) { gateway in
            let env = ["FAAS_GATEWAY": "http://127.0.0.1:\(gateway.port)", "FAAS_TOKEN": "tok"]
            let denied = try await FaasProcess.run(["ls"], environment: ["FAAS_GATEWAY": env["FAAS_GATEWAY"]!])
            #expect(denied.status != 0)
            #expect(denied.stderr.contains("unauthorized"))

            let list = try await FaasProcess.run(["ls"], environment: env)
            #expect(list.status == 0, "\(list.stderr)")
            let lines = list.stdout.split(separator: "\n")
            #expect(lines.first?.hasPrefix("NAME") == true)
            #expect(lines.contains { $0.hasPrefix("echo ") && $0.contains("echoes") })
            // Columns line up: VERSION starts at the same offset in every line.
            let offset = try #require(lines.first?.range(of: "VERSION")).lowerBound.utf16Offset(in: String(lines[0]))
            #expect(lines.dropFirst().allSatisfy { $0.count > offset && $0[$0.index($0.startIndex, offsetBy: offset - 1)] == " " })

            let listJSON = try await FaasProcess.run(["ls", "--json"], environment: env)
            #expect(try GatewayJSON.decode([FunctionSummary].self, from: Data(listJSON.stdout.utf8)).contains { $0.name == "echo" })

            let info = try await FaasProcess.run(["info", "echo", "--token", "tok", "--gateway", env["FAAS_GATEWAY"]!])
            #expect(info.stdout.contains("version:  2"))
            #expect(info.stdout.contains("1 sealed, 0 running, 0 queued"))
            #expect(info.stdout.contains("current"))

            let rolled = try await FaasProcess.run(["rollback", "echo", "--to", "1"], environment: env)
            #expect(rolled.stdout.contains("echo is at version 1"), "\(rolled.stderr)")
            let back = try await FaasProcess.run(["rollback", "echo"], environment: env)
            #expect(back.status != 0)  // there is no version before 1
            #expect(back.stderr.contains("not_found"))

            _ = try await FaasProcess.run(["invoke", "echo", "-d", "one"], environment: env)
            let logs = try await FaasProcess.run(["logs", "echo", "--limit", "5"], environment: env)
            #expect(logs.status == 0, "\(logs.stderr)")
            #expect(logs.stdout.hasPrefix("ACTIVATION"))
            #expect(logs.stdout.contains("log line of act"))
            let id = try #require(logs.stdout.split(separator: "\n").dropFirst().first?.split(separator: " ").first)
            let one = try await FaasProcess.run(["logs", String(id), "--json"], environment: env)
            #expect(try GatewayJSON.decode(ActivationInfo.self, from: Data(one.stdout.utf8)).id == String(id))
            let nothing = try await FaasProcess.run(["logs", "ghost"], environment: env)
            #expect(nothing.status != 0)

            let cvms = try await FaasProcess.run(["cvms"], environment: env)
            #expect(cvms.stdout.hasPrefix("ID"))
            #expect(cvms.stdout.contains("sealed") && cvms.stdout.contains("64Ki"))
            let cvmsJSON = try await FaasProcess.run(["cvms", "--json"], environment: env)
            #expect(try GatewayJSON.decode([CompartmentInfo].self, from: Data(cvmsJSON.stdout.utf8)).count > 0)

            let removed = try await FaasProcess.run(["rm", "echo"], environment: env)
            #expect(removed.status == 0)
            let gone = try await FaasProcess.run(["info", "echo"], environment: env)
            #expect(gone.status != 0)
            #expect(gone.stderr.contains("not_found (HTTP 404): no function named 'echo'"))
        }
    }

    @Test func deployAFolderOrAnArchiveAndPack() async throws {
        try await TestGateway.with { gateway in
            let env = ["FAAS_GATEWAY": "http://127.0.0.1:\(gateway.port)"]
            let scratch = try TemporaryDirectory()
            let folder = scratch.url.appendingPathComponent("hello")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("data"), withIntermediateDirectories: true)
            try Data("name: hello\nmodule: hello.wasm\n".utf8).write(to: folder.appendingPathComponent("function.yaml"))
            try Data([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]).write(to: folder.appendingPathComponent("hello.wasm"))
            try Data("greeting".utf8).write(to: folder.appendingPathComponent("data/greeting.txt"))
            await gateway.platform.setDeployName("hello")

            let deployed = try await FaasProcess.run(["deploy", folder.path], environment: env)
            #expect(deployed.status == 0, "\(deployed.stderr)")
            #expect(deployed.stdout.hasPrefix("deployed hello version 1 (sha256:deadbeef1"))
            let archive = try #require(await gateway.platform.deployedArchives.last)
            let entries = try await Self.tarList(archive, in: scratch)
            #expect(Set(entries) == ["data/", "data/greeting.txt", "function.yaml", "hello.wasm"])

            let packed = try await FaasProcess.run(["pack", folder.path, "-o", "out.tar.gz"], directory: scratch.url)
            #expect(packed.status == 0, "\(packed.stderr)")
            let bytes = try Data(contentsOf: scratch.url.appendingPathComponent("out.tar.gz"))
            #expect(Set(try await Self.tarList(Array(bytes), in: scratch)) == Set(entries))

            let again = try await FaasProcess.run(["deploy", scratch.url.appendingPathComponent("out.tar.gz").path, "--json"], environment: env)
            #expect(try GatewayJSON.decode(DeployResult.self, from: Data(again.stdout.utf8)).version == 2)
            #expect(await gateway.platform.deployedArchives.last == Array(bytes))

            let noManifest = try await FaasProcess.run(["deploy", folder.appendingPathComponent("data").path], environment: env)
            #expect(noManifest.status != 0)
            #expect(noManifest.stderr.contains("holds no function.yaml"))
            let notThere = try await FaasProcess.run(["deploy", "/nonexistent/fn.tar.gz"], environment: env)
            #expect(notThere.status != 0)
        }
    }

    @Test func anUnreachableGatewayIsAClearError() async throws {
        let result = try await FaasProcess.run(["ls", "--gateway", "http://127.0.0.1:1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot reach the gateway at http://127.0.0.1:1"))
        let bad = try await FaasProcess.run(["ls", "--gateway", "ftp://x"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--gateway must be an http(s) URL"))
    }

    private static func tarList(_ archive: [UInt8], in scratch: TemporaryDirectory) async throws -> [String] {
        let file = scratch.url.appendingPathComponent("list-\(UUID().uuidString).tar.gz")
        try Data(archive).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tar", "-tzf", file.path]
        let listing = scratch.url.appendingPathComponent("listing-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: listing.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: listing)
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        #expect(status == 0)
        return String(decoding: try Data(contentsOf: listing), as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
