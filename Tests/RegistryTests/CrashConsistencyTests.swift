import Foundation
import Registry
import SandboxTesting
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deploys in a child process (`registry-crash-child`) killed with SIGKILL at random moments; after
/// each kill the data directory must open with every listed version's image present and verified,
/// and no temporary file left behind.
@Suite struct CrashConsistencyTests {
    static let kills = 55

    /// The helper executable, built next to the test bundle.
    static func childPath() throws -> String {
        var candidates: [URL] = []
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        for _ in 0..<4 {
            url = url.deletingLastPathComponent()
            candidates.append(url.appendingPathComponent("registry-crash-child"))
        }
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "registry-crash-child not built next to \(CommandLine.arguments[0])").path
    }

    @Test func everyListedVersionSurvivesSIGKILL() async throws {
        try await onDedicatedThread {
            let child = try Self.childPath()
            let folder = try TemporaryDirectory()
            defer { folder.remove() }
            let data = folder.path + "/data"
            let module = folder.path + "/fn.wasm"
            try Data(Fixtures.wasiModule).write(to: URL(fileURLWithPath: module))
            var random = SeededGenerator(seed: 0xC0FFEE)

            var deployedLines = 0, verified = 0
            for round in 0..<Self.kills {
                // Through the test support's posix_spawn, not Foundation's Process (which crashes now
                // and then on Linux in Swift 6.3.1, see ChildProcess).
                let running = try ChildProcess.launch(URL(fileURLWithPath: child), [data, module, "\(round)"])
                if round % 5 == 0 {
                    // During start-up: opening the database and collecting what an earlier kill left.
                    usleep(UInt32.random(in: 1_000...60_000, using: &random))
                } else {
                    // Somewhere in the deploys: wait until the child is open, then a random moment.
                    while running.isRunning, !running.output.contains("ready\n") { usleep(500) }
                    usleep(UInt32.random(in: 0...250_000, using: &random))
                }
                running.send(SIGKILL)
                while running.isRunning { usleep(500) }
                #expect(running.exitStatus == -SIGKILL, "the child ran until killed (round \(round))")
                let printed = running.output
                deployedLines += printed.split(separator: "\n").filter { $0.hasPrefix("deployed") }.count

                let registry = try FunctionRegistry.open(directory: data, logger: Fixtures.quietLogger)
                let leftovers = folderTemporaries(data)
                #expect(leftovers.isEmpty, "no temporary survives a start-up: \(leftovers)")
                var listed: Set<String> = []
                for summary in try registry.list() {
                    let detail = try #require(try registry.function(named: summary.name))
                    listed.formUnion(detail.versions.map { $0.digest + ".img" })
                    #expect(detail.versions.map(\.version) == Array(1...detail.versions.count), "dense versions")
                    for version in detail.versions {
                        let (number, image) = try registry.image(function: summary.name, version: version.version)
                        #expect(number == version.version && image.digest == version.digest)
                        verified += 1
                    }
                }
                let blobs = ((try? FileManager.default.contentsOfDirectory(atPath: data + "/images")) ?? [])
                #expect(Set(blobs) == listed, "exactly the listed images are kept (round \(round))")
                registry.close()
            }
            // Kills land mid-deploy, not only before the first: how many deploys fit between kills
            // depends on the machine's load, so the bar is low.
            #expect(deployedLines > Self.kills / 5, "the children deployed between kills (\(deployedLines) deploys)")
            #expect(verified > 0)
        }
    }

    func folderTemporaries(_ data: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: data + "/images")) ?? []).filter { $0.hasPrefix(".tmp-") }
    }
}
