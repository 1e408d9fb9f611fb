import Gateway
import Logging
import Synchronization
import Testing

/// Keeps every log record in memory.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    // @unchecked: the only mutable shared state is behind the Mutex; metadata/logLevel are set before use.
    final class Store: Sendable {
        let records = Mutex<[(message: String, metadata: [String: String])]>([])
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    init(store: Store) {
        self.store = store
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var flat: [String: String] = [:]
        for (key, value) in event.metadata ?? [:] { flat[key] = "\(value)" }
        store.records.withLock { $0.append((event.message.description, flat)) }
    }
}

@Suite("Request log")
struct LoggingTests {
    @Test func oneInfoLinePerRequestWithNamespacedKeys() async throws {
        let store = CapturingLogHandler.Store()
        let logger = Logger(label: "faas.test") { _ in CapturingLogHandler(store: store) }
        var configuration = GatewayConfiguration()
        configuration.port = 0
        let server = GatewayServer(configuration: configuration, platform: await TestGateway.standardPlatform(), logger: logger)
        let port = try await server.start()
        let connection = try await RawConnection.connect(port: port)
        let response = try await connection.request("POST", "/invoke/echo/x?q=1", body: Array("hi".utf8))
        _ = try await connection.request("GET", "/nope")
        await connection.close()
        await server.shutdown()

        let lines = store.records.withLock { $0.filter { $0.message == "request" } }
        #expect(lines.count == 2)
        let invoke = try #require(lines.first)
        #expect(invoke.metadata["faas.method"] == "POST")
        #expect(invoke.metadata["faas.path"] == "/invoke/echo/x")
        #expect(invoke.metadata["faas.status"] == "200")
        #expect(invoke.metadata["faas.activation"] == response.header("X-Faas-Activation"))
        #expect(Int(invoke.metadata["faas.duration_us"] ?? "") != nil)
        #expect(lines.last?.metadata["faas.status"] == "404")
        #expect(lines.last?.metadata["faas.activation"] == nil)
    }
}
