import Foundation
import Gateway
import Logging
import Registry
import SandboxTesting
import ServiceLifecycle
import Testing

@Suite("Lifecycle")
struct LifecycleTests {
    @Test func shutdownLetsRunningRequestsFinishAndStopsAccepting() async throws {
        let gateway = try await TestGateway.start(backend: RealPlatform.withOutbound)
        defer { gateway.backend.removeData() }
        // The call runs until the test opens its gate, once the shutdown has closed the idle
        // connection: it is surely still running when the shutdown begins, however loaded the machine.
        let gate = try Gate(answer: "finally")
        try await gateway.backend.deployHeld("long", on: gate, settings: ["timeout: 30s"])
        let connection = try await gateway.connect()
        try await connection.send("GET /invoke/long HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try await gateway.connect()
        #expect(try await idle.request("GET", "/healthz").status == 200)
        var running = 0
        for _ in 0..<2000 where running == 0 {
            running = try await gateway.platform.info(function: "long")?.pool.running ?? 0
            if running == 0 { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(running == 1)  // the slow invocation is running

        async let stopped: Void = gateway.server.shutdown()
        #expect(await idle.waitForClose())
        gate.open()
        let response = try await connection.readResponse(timeout: .seconds(60))
        #expect(response.status == 200)
        #expect(response.text == "finally")
        #expect(response.header("connection") == "close")
        await stopped
        #expect(await connection.waitForClose())
        await #expect(throws: (any Error).self) {
            _ = try await RawConnection.connect(port: gateway.port).request("GET", "/healthz")
        }
        await gateway.server.shutdown()  // a second call does nothing

        // The platform flushed the activation record and closed the registry: it is on disk.
        let activation = try #require(response.header("X-Faas-Activation"))
        var logger = Logger(label: "faas.test")
        logger.logLevel = .warning
        let reopened = try FunctionRegistry.open(directory: gateway.backend.directory, logger: logger)
        defer { reopened.close() }
        let record = try #require(try reopened.activations.get(id: activation))
        #expect(record.status.rawValue == "succeeded")
        #expect(record.function == "long")
    }

    @Test func serviceRunsUntilGracefulShutdown() async throws {
        let backend = try await TestGateway.standardPlatform()
        defer { backend.removeData() }
        var configuration = GatewayConfiguration()
        configuration.port = 0
        let server = GatewayServer(configuration: configuration, platform: backend.platform, logger: Logger(label: "t"))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let service = GatewayService(server: server) { continuation.yield($0) }
        let group = ServiceGroup(services: [service], logger: Logger(label: "t"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let connection = try await RawConnection.connect(port: port)
            #expect(try await connection.request("GET", "/healthz").status == 200)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            #expect(await connection.waitForClose())
            #expect(server.port == nil)
            // The platform behind it was shut down too: it takes no more invocations.
            let late = await backend.platform.invoke(
                function: "echo", version: nil,
                request: FunctionRequest(method: "POST", path: "", query: "", headers: [], body: []))
            guard case .failure(let failure) = late.outcome else {
                Issue.record("an invocation after shutdown ran: \(late.outcome)")
                return
            }
            #expect(failure.code == .unavailable)
        }
    }
}
