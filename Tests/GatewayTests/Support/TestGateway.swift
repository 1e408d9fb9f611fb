import Foundation
import Gateway
import Logging
import SandboxTesting

/// A gateway on 127.0.0.1, port 0, over the real platform (``RealPlatform``) with a few functions deployed.
struct TestGateway: Sendable {
    let server: GatewayServer
    let backend: RealPlatform
    let port: Int

    var platform: SchedulerPlatform { backend.platform }

    /// The functions every test gateway has:
    /// - `echo`, `headers`: the examples of `functions/` (wasi; `headers` answers its request as JSON, through CGI);
    /// - `edition`: versions 1 and 2, answering `v1` and `v2`;
    /// - `private`: the `headers` module with `public: false`;
    /// - `slow`: busy for 600 ms, then answers `finally`.
    static func standardPlatform() async throws -> RealPlatform {
        let backend = try await RealPlatform.make()
        try await backend.deploy(example: "echo")
        try await backend.deploy(example: "headers")
        try await backend.deploy("edition", module: RouteGuests.constant("v1"), settings: ["description: editions"])
        try await backend.deploy("edition", module: RouteGuests.constant("v2"), settings: ["description: editions"])
        try await backend.deploy(
            "private", module: Examples.module(named: "headers"), abi: "wasi",
            settings: ["response: cgi", "public: false"])
        try await backend.deploy(
            "slow", module: RouteGuests.busy(milliseconds: 600), settings: ["capabilities:", "  clock: true"])
        return backend
    }

    /// A gateway over `backend` (by default ``standardPlatform()``).
    static func start(
        _ adjust: (inout GatewayConfiguration) -> Void = { _ in },
        backend makeBackend: () async throws -> RealPlatform = standardPlatform
    ) async throws -> TestGateway {
        let backend = try await makeBackend()
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.shutdownGrace = .seconds(10)
        adjust(&configuration)
        var logger = Logger(label: "faas.test")
        logger.logLevel = .warning
        let server = GatewayServer(configuration: configuration, platform: backend.platform, logger: logger)
        do {
            let port = try await server.start()
            return TestGateway(server: server, backend: backend, port: port)
        } catch {
            await backend.platform.shutdown(grace: .seconds(1))
            backend.removeData()
            throw error
        }
    }

    /// Runs `body` against a fresh gateway and shuts it (and its platform) down afterwards.
    static func with<T>(
        _ adjust: (inout GatewayConfiguration) -> Void = { _ in },
        backend makeBackend: () async throws -> RealPlatform = standardPlatform,
        _ body: (TestGateway) async throws -> T
    ) async throws -> T {
        let gateway = try await start(adjust, backend: makeBackend)
        do {
            let result = try await body(gateway)
            await gateway.stop()
            return result
        } catch {
            await gateway.stop()
            throw error
        }
    }

    /// Shuts the server and its platform down and removes the data folder.
    func stop() async {
        await server.shutdown()
        backend.removeData()
    }

    /// How many activations `function` has recorded (nil: of all functions).
    func activationCount(_ function: String? = nil) async throws -> Int {
        try await platform.activations(function: function, status: nil, limit: 1000).count
    }

    func connect() async throws -> RawConnection {
        try await RawConnection.connect(port: port)
    }

    /// One request on a fresh connection.
    func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) async throws -> RawConnection.Response {
        let connection = try await connect()
        defer { Task { await connection.close() } }
        return try await connection.request(method, target, headers: headers, body: body)
    }

    /// `GET /activations/{id}/result`, asked again while it is 404 (the async activation has not
    /// finished), for at most 20 s.
    func result(of activation: String) async throws -> RawConnection.Response {
        var result = try await request("GET", "/activations/\(activation)/result")
        for _ in 0..<1000 where result.status == 404 {
            try await Task.sleep(for: .milliseconds(20))
            result = try await request("GET", "/activations/\(activation)/result")
        }
        return result
    }
}

extension RawConnection.Response {
    /// The `{"error": {...}}` of an error answer.
    var errorBody: ErrorBody? {
        try? GatewayJSON.decode(ErrorBody.self, from: Data(body))
    }

    /// The body as a JSON object.
    var object: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    var array: [[String: Any]]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [[String: Any]]
    }
}
