import Foundation
import Gateway
import Logging
import ServiceLifecycle
import Testing

@Suite("Lifecycle")
struct LifecycleTests {
    @Test func shutdownLetsRunningRequestsFinishAndStopsAccepting() async throws {
        let gateway = try await TestGateway.start()
        let connection = try await gateway.connect()
        try await connection.send("GET /invoke/slow HTTP/1.1\r\nHost: x\r\n\r\n")
        let idle = try await gateway.connect()
        #expect(try await idle.request("GET", "/healthz").status == 200)
        try await Task.sleep(for: .milliseconds(500))  // the slow invocation (1.5 s) is running, even on a loaded machine

        async let stopped: Void = gateway.server.shutdown()
        let response = try await connection.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "finally")
        #expect(response.header("connection") == "close")
        await stopped
        #expect(await connection.waitForClose())
        #expect(await idle.waitForClose())
        #expect(await gateway.platform.shutdowns == 1)
        await #expect(throws: (any Error).self) { _ = try await RawConnection.connect(port: gateway.port).request("GET", "/healthz") }
        await gateway.server.shutdown()  // a second call does nothing
        #expect(await gateway.platform.shutdowns == 1)
    }

    @Test func serviceRunsUntilGracefulShutdown() async throws {
        let platform = await TestGateway.standardPlatform()
        var configuration = GatewayConfiguration()
        configuration.port = 0
        let server = GatewayServer(configuration: configuration, platform: platform, logger: Logger(label: "t"))
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
            #expect(await platform.shutdowns == 1)
        }
    }
}
