import Foundation
import Gateway
import Logging

/// A gateway on 127.0.0.1, port 0, over an ``InMemoryPlatform`` with a few functions.
struct TestGateway: Sendable {
    let server: GatewayServer
    let platform: InMemoryPlatform
    let port: Int

    /// The echo function answers a JSON description of what it received, as text lines.
    static func standardPlatform() async -> InMemoryPlatform {
        let platform = InMemoryPlatform()
        await platform.add("echo", versions: 2, description: "echoes") { version, request in
            var headers = [HeaderField(name: "X-Echo-Version", value: String(version)), HeaderField(name: "Content-Type", value: "text/plain")]
            if let status = request.headers.first(where: { $0.name.lowercased() == "x-want-status" }) {
                headers.append(HeaderField(name: "X-Status", value: status.value))
            }
            let status = request.headers.first { $0.name.lowercased() == "x-want-status" }.flatMap { Int($0.value) } ?? 200
            let text = "method=\(request.method)\npath=\(request.path)\nquery=\(request.query)\nversion=\(version)\nbody=\(String(decoding: request.body, as: UTF8.self))\n"
            return .response(FunctionResponse(status: status, headers: headers, body: Array(text.utf8)))
        }
        await platform.add("private", isPublic: false) { _, request in
            let auth = request.headers.first { $0.name.lowercased() == "authorization" }?.value ?? "none"
            return .response(FunctionResponse(status: 200, body: Array("secret; authorization=\(auth)".utf8)))
        }
        await platform.add("slow") { _, _ in
            try? await Task.sleep(for: .milliseconds(1500))
            return .response(FunctionResponse(status: 200, body: Array("finally".utf8)))
        }
        for code in ErrorCode.allCases {
            await platform.add("fail-\(code.rawValue.replacingOccurrences(of: "_", with: "-"))") { _, _ in
                .failure(PlatformError(code, "provoked \(code.rawValue)", retryAfterSeconds: code == .tooManyRequests ? 3 : nil, fault: code == .capabilityFault ? "bounds" : nil))
            }
        }
        return platform
    }

    static func start(_ adjust: (inout GatewayConfiguration) -> Void = { _ in }) async throws -> TestGateway {
        let platform = await standardPlatform()
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.shutdownGrace = .seconds(5)
        adjust(&configuration)
        var logger = Logger(label: "faas.test")
        logger.logLevel = .warning
        let server = GatewayServer(configuration: configuration, platform: platform, logger: logger)
        let port = try await server.start()
        return TestGateway(server: server, platform: platform, port: port)
    }

    /// Runs `body` against a fresh gateway and shuts it down afterwards.
    static func with<T>(
        _ adjust: (inout GatewayConfiguration) -> Void = { _ in }, _ body: (TestGateway) async throws -> T
    ) async throws -> T {
        let gateway = try await start(adjust)
        do {
            let result = try await body(gateway)
            await gateway.server.shutdown()
            return result
        } catch {
            await gateway.server.shutdown()
            throw error
        }
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
