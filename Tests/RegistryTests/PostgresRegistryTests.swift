import Foundation
import Registry
import RegistryPostgres
import SandboxTesting
import Testing

/// The registry over PostgreSQL as two nodes see it: each with a data folder of its own (its image
/// cache), both on one database.
@Suite struct PostgresRegistryTests {
    /// Two registries on a fresh database, as two nodes open it.
    static func twoNodes() async throws -> (PostgresRegistry, PostgresRegistry, TemporaryDirectory, TemporaryDirectory) {
        let url = try PostgresServer.shared.get().createDatabase()
        let (a, b) = (try TemporaryDirectory(), try TemporaryDirectory())
        let first = try await PostgresRegistry.open(url: url, directory: a.path, logger: Fixtures.quietLogger)
        let second = try await PostgresRegistry.open(url: url, directory: b.path, logger: Fixtures.quietLogger)
        return (first, second, a, b)
    }

    static func close(_ registries: PostgresRegistry...) {
        for shared in registries {
            shared.registry.close()
            shared.close()
        }
    }

    @Test func aVersionDeployedOnOneNodeIsReadOnTheOtherWithItsImageFetchedOnceAndVerified() async throws {
        let (first, second, a, b) = try await Self.twoNodes()
        defer {
            Self.close(first, second)
            a.remove()
            b.remove()
        }
        // An image over 1 MiB is stored in several chunks.
        var generator = SystemRandomNumberGenerator()
        let data = (0..<(2_500_000)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let archive = try Fixtures.archive(
            yaml: Fixtures.manifest(extra: "capabilities: { files: [data.bin] }\n"), files: ["data.bin": data])
        let deployed = try first.registry.deploy(archive: archive)
        #expect(deployed.version == 1)
        #expect(b.imageFiles().isEmpty, "nothing is cached on the second node before it reads")

        let (version, image) = try second.registry.image(function: "hello", version: nil)
        #expect(version == 1 && image.digest == deployed.digest)
        #expect(image.files["data.bin"] == data)
        #expect(b.imageFiles() == [deployed.digest + ".img"], "cached by digest after the first read")

        // A cached copy that no longer verifies is fetched again, not run.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: b.path + "/images/" + deployed.digest + ".img"))
        #expect(try second.registry.image(function: "hello", version: nil).image.digest == deployed.digest)

        // Versions are numbered across nodes; rollback and removal are seen by both.
        let again = try second.registry.deploy(archive: try Fixtures.archive(yaml: Fixtures.manifest(extra: "description: two\n")))
        #expect(again.version == 2)
        #expect(try first.registry.list().map(\.version) == [2])
        try first.registry.rollback(function: "hello", to: nil)
        #expect(try second.registry.function(named: "hello")?.version == 1)
        try second.registry.remove(function: "hello")
        #expect(try first.registry.function(named: "hello") == nil)
        #expect(throws: RegistryError.self) { try first.registry.image(function: "hello", version: nil) }
    }

    @Test func concurrentDeploysOfOneNameFromTwoNodesGetDistinctVersions() async throws {
        let (first, second, a, b) = try await Self.twoNodes()
        defer {
            Self.close(first, second)
            a.remove()
            b.remove()
        }
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<10 {
                let registry = index % 2 == 0 ? first.registry : second.registry
                group.addTask {
                    try registry.deploy(
                        archive: try Fixtures.archive(yaml: Fixtures.manifest(extra: "description: d\(index)\n"))
                    ).version
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(versions.sorted() == Array(1...10))
    }

    @Test func activationRecordsRoundTripAndTrimPerFunction() async throws {
        let (first, second, a, b) = try await Self.twoNodes()
        defer {
            Self.close(first, second)
            a.remove()
            b.remove()
        }
        let store = try #require(first.registry.functions as? PostgresFunctionStore)
        let records = (0..<30).map { index in
            ActivationRecord(
                id: "r\(index)", function: index % 2 == 0 ? "even" : "odd", version: 1, status: .succeeded,
                logs: "line \(index)\u{0}with a NUL", created: Date(timeIntervalSince1970: 1_000 + Double(index)),
                node: "node-a")
        }
        try store.write(records, limits: ActivationLimits(rowsPerFunction: 10))
        let other = try #require(second.registry.functions as? PostgresFunctionStore)
        #expect(try other.activation(id: "r29") == records[29])
        let odd = try other.activations(function: "odd", status: nil, limit: 100)
        #expect(odd.count == 10, "trimmed to the row cap")
        #expect(odd.first?.id == "r29" && odd.last?.id == "r11", "newest first, oldest trimmed")
        #expect(try other.activation(id: "r1") == nil)
    }

    @Test func aWrongPasswordFailsFastNamingTheProblemButNotThePassword() async throws {
        let server = try PostgresServer.shared.get()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // How fast it fails is the cluster test's concern (`faas serve` exits within seconds); on a
        // machine this loaded by the whole suite a wall-clock bound here would only measure the load.
        do {
            _ = try await PostgresRegistry.open(
                url: "postgres://\(PostgresServer.user):wrong-secret@127.0.0.1:\(server.port)/postgres",
                directory: folder.path, logger: Fixtures.quietLogger)
            Issue.record("a wrong password opened the registry")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.message.contains("password authentication failed"), "\(error.message)")
            #expect(!error.message.contains("wrong-secret"))
        }
    }
}
