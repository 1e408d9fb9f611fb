import Foundation
import Registry
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
    static let kills = 60

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

    @Test func everyListedVersionSurvivesSIGKILL() throws {
        let child = try Self.childPath()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let archives = folder.path + "/archives"
        let data = folder.path + "/data"
        try FileManager.default.createDirectory(atPath: archives, withIntermediateDirectories: true)
        var random = SplitMix64(state: 0xC0FFEE)
        for index in 0..<6 {
            // Distinct content of a few hundred KiB, so that kills land in compression and writes too.
            var noise = [UInt8](repeating: 0, count: 300 << 10)
            for offset in noise.indices { noise[offset] = UInt8(truncatingIfNeeded: random.next() & 0x3F) }
            let yaml = Fixtures.manifest(index % 2 == 0 ? "alpha" : "beta", extra: "capabilities: { files: [data/] }\n")
            let archive = try Fixtures.archive(yaml: yaml, files: ["data/noise": noise, "data/index": [UInt8(index)]])
            try Data(archive).write(to: URL(fileURLWithPath: archives + "/\(index).tar.gz"))
        }

        var deployedLines = 0
        for round in 0..<Self.kills {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: child)
            process.arguments = [data, archives, "\(round)"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Anywhere from start-up (opening, collecting) to many deploys in.
            usleep(UInt32.random(in: 1_000...250_000, using: &random))
            _ = kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "the child ran until killed (round \(round))")
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            deployedLines += printed.split(separator: "\n").count

            let registry = try FunctionRegistry.open(directory: data, logger: Fixtures.quietLogger)
            let leftovers = folderTemporaries(data)
            #expect(leftovers.isEmpty, "no temporary survives a start-up: \(leftovers)")
            for summary in try registry.list() {
                let detail = try #require(try registry.function(named: summary.name))
                #expect(detail.versions.map(\.version) == Array(1...detail.versions.count), "dense versions")
                for version in detail.versions {
                    let (number, image) = try registry.image(function: summary.name, version: version.version)
                    #expect(number == version.version && image.digest == version.digest)
                }
            }
            registry.close()
        }
        #expect(deployedLines > Self.kills, "the children deployed between kills (\(deployedLines) deploys)")
    }

    func folderTemporaries(_ data: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: data + "/images")) ?? []).filter { $0.hasPrefix(".tmp-") }
    }
}
