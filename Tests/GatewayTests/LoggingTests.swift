import Foundation
@testable import Gateway
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
        let backend = try await TestGateway.standardPlatform()
        defer { backend.removeData() }
        let server = GatewayServer(configuration: configuration, platform: backend.platform, logger: logger)
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

/// The read end of a pipe a ``LogSink`` writes to.
private final class LogPipe: @unchecked Sendable {
    // @unchecked: the descriptors are set once; reads happen on the test's thread.
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
        readEnd = ends[0]
        writeEnd = ends[1]
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
    }

    /// Everything written so far that can be read without waiting.
    func drain() -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(readEnd, &chunk, chunk.count)
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk.prefix(count))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }
}

@Suite("Log sink")
struct LogSinkTests {
    @Test func requestLinesGoThroughTheSinkInStreamLogHandlersFormat() async throws {
        let pipe = try LogPipe()
        let sink = LogSink(descriptor: pipe.writeEnd)
        var logger = Logger(label: "faas") { label in SinkLogHandler(label: label, sink: sink) }
        logger.logLevel = .info
        var configuration = GatewayConfiguration()
        configuration.port = 0
        let backend = try await TestGateway.standardPlatform()
        defer { backend.removeData() }
        let server = GatewayServer(configuration: configuration, platform: backend.platform, logger: logger)
        let port = try await server.start()
        let connection = try await RawConnection.connect(port: port)
        let response = try await connection.request("POST", "/invoke/echo/x?q=1", body: Array("hi".utf8))
        _ = try await connection.request("GET", "/nope")
        await connection.close()
        await server.shutdown()
        sink.flush()

        let lines = pipe.drain().split(separator: "\n").map(String.init).filter { $0.hasSuffix("[Gateway] request") }
        #expect(lines.count == 2)
        let activation = try #require(response.header("X-Faas-Activation"))
        let first = try #require(lines.first)
        // `2026-12-02T11:25:00+0000 info faas : faas.activation=… faas.duration_us=N faas.method=POST …`
        #expect(first.contains(" info faas : faas.activation=\(activation) faas.duration_us="))
        #expect(first.contains(" faas.method=POST faas.path=/invoke/echo/x faas.status=200 [Gateway] request"))
        #expect(first.first?.isNumber == true)
        #expect(lines.last?.contains("faas.path=/nope faas.status=404") == true)
        #expect(lines.last?.contains("faas.activation") == false)
        #expect(sink.dropped == 0)
    }

    @Test func switchedOffTheGatewayWritesNoRequestLines() async throws {
        let pipe = try LogPipe()
        let sink = LogSink(descriptor: pipe.writeEnd)
        let logger = Logger(label: "faas") { label in SinkLogHandler(label: label, sink: sink) }
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.accessLog = false
        let backend = try await TestGateway.standardPlatform()
        defer { backend.removeData() }
        let server = GatewayServer(configuration: configuration, platform: backend.platform, logger: logger)
        let port = try await server.start()
        let connection = try await RawConnection.connect(port: port)
        _ = try await connection.request("POST", "/invoke/echo", body: Array("hi".utf8))
        await connection.close()
        await server.shutdown()
        sink.flush()
        let text = pipe.drain()
        #expect(!text.contains("[Gateway] request"))
        #expect(text.contains("gateway listening"))
    }

    @Test func numbersInTheAccessLineAreWrittenAsStringWouldWriteThem() {
        var values: [Int64] = [0, 1, 9, 10, 99, 100, 1_000_000, -1, -10, .max, .min, .max - 1, .min + 1]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 { values.append(Int64.random(in: .min ... .max, using: &generator) >> Int64.random(in: 0...63)) }
        for value in values {
            var out: [UInt8] = Array("x=".utf8)
            LogSink.appendDecimal(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "x=\(value)")
        }
    }

    @Test func aFullBufferDropsAndCountsInsteadOfBlocking() throws {
        // Nobody reads the pipe: once its 64 KiB are full the writer blocks, and appends must not.
        let pipe = try LogPipe()
        let sink = LogSink(descriptor: pipe.writeEnd, capacity: 8)
        let logger = Logger(label: "faas") { label in SinkLogHandler(label: label, sink: sink) }
        for index in 0..<5_000 {
            logger.info("line", metadata: ["faas.index": "\(index)", "faas.padding": "\(String(repeating: "x", count: 80))"])
        }
        let dropped = sink.dropped
        #expect(dropped >= 5_000 - 1_000)
        // Reading frees the writer; the next batch reports the loss.
        var text = ""
        for _ in 0..<200 where !text.contains("log lines dropped") {
            text += pipe.drain()
            logger.info("after")
            usleep(5_000)
        }
        #expect(text.contains("warning faas : faas.dropped="))
        #expect(text.contains("log lines dropped: the log writer could not keep up"))
    }
}
