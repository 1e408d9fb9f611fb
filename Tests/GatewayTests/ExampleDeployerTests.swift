import Foundation
import Gateway
import Logging
import SandboxTesting
import Testing

@Suite("Examples")
struct ExampleDeployerTests {
    /// A functions/ folder whose build.sh lays out two real archives and one the platform refuses.
    @Test func buildsThenDeploysEveryArchiveInOrder() async throws {
        let scratch = try TemporaryFolder()
        let built = Examples.functionsDirectory.appendingPathComponent("build")
        _ = try Examples.archive(named: "hello")
        _ = try Examples.archive(named: "echo")
        let script = """
            set -e
            mkdir -p build
            cp '\(built.appendingPathComponent("hello.tar.gz").path)' build/alpha.tar.gz
            printf 'not gzip' > build/beta.tar.gz
            cp '\(built.appendingPathComponent("echo.tar.gz").path)' build/gamma.tar.gz
            echo ignored > build/notes.txt
            """
        try Data(script.utf8).write(to: scratch.url.appendingPathComponent("build.sh"))
        let backend = try await RealPlatform.make()
        defer { backend.removeData() }
        let deployer = ExampleDeployer(directory: scratch.url, logger: Logger(label: "t"))
        let deployed = try await deployer.deployAll(to: backend.platform)
        #expect(deployed.map(\.name) == ["hello", "echo"])
        #expect(deployed.map(\.version) == [1, 1])
        #expect(try await backend.platform.list().map(\.name) == ["echo", "hello"])
        #expect(ExampleDeployer.locate(environment: ["FAAS_EXAMPLES": scratch.url.path])?.path == scratch.url.path)
        await backend.platform.shutdown(grace: .seconds(5))
    }

    @Test func aFailingBuildIsUnavailable() async throws {
        let scratch = try TemporaryFolder()
        try Data("exit 3".utf8).write(to: scratch.url.appendingPathComponent("build.sh"))
        let backend = try await RealPlatform.make()
        defer { backend.removeData() }
        let deployer = ExampleDeployer(directory: scratch.url, logger: Logger(label: "t"))
        await #expect(throws: PlatformError.self) { try await deployer.deployAll(to: backend.platform) }
        #expect(try await backend.platform.list().isEmpty)
        await backend.platform.shutdown(grace: .seconds(5))
    }

    @Test func serveRefusesAnInsecureBind() async throws {
        let result = try await FaasCommand.run(["serve", "--host", "0.0.0.0", "--port", "0"])
        #expect(result.status != 0)
        #expect(result.errors.contains("refusing to listen on 0.0.0.0 without a token"))
    }
}
