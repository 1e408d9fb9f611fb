import Foundation
import Gateway
import Logging
import Testing

@Suite("Examples")
struct ExampleDeployerTests {
    /// A functions/ folder whose build.sh packs two archives (one of them refused by the platform).
    @Test func buildsThenDeploysEveryArchiveInOrder() async throws {
        let scratch = try TemporaryDirectory()
        let script = """
            set -e
            mkdir -p build
            printf '\\037\\213first' > build/alpha.tar.gz
            printf 'not gzip' > build/beta.tar.gz
            printf '\\037\\213third' > build/gamma.tar.gz
            echo ignored > build/notes.txt
            """
        try Data(script.utf8).write(to: scratch.url.appendingPathComponent("build.sh"))
        let platform = InMemoryPlatform()
        let deployer = ExampleDeployer(directory: scratch.url, logger: Logger(label: "t"))
        let deployed = try await deployer.deployAll(to: platform)
        #expect(deployed.map(\.version) == [1, 2])
        #expect(await platform.deployedArchives == [[0x1f, 0x8b] + Array("first".utf8), [0x1f, 0x8b] + Array("third".utf8)])
        #expect(ExampleDeployer.locate(environment: ["FAAS_EXAMPLES": scratch.url.path])?.path == scratch.url.path)
    }

    @Test func aFailingBuildIsUnavailable() async throws {
        let scratch = try TemporaryDirectory()
        try Data("exit 3".utf8).write(to: scratch.url.appendingPathComponent("build.sh"))
        let deployer = ExampleDeployer(directory: scratch.url, logger: Logger(label: "t"))
        await #expect(throws: PlatformError.self) { try await deployer.deployAll(to: InMemoryPlatform()) }
    }

    @Test func serveRefusesAnInsecureBind() async throws {
        let result = try await FaasProcess.run(["serve", "--host", "0.0.0.0", "--port", "0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("refusing to listen on 0.0.0.0 without a token"))
    }
}
