public import Logging
public import ServiceLifecycle
import UnixSignals

/// The gateway as a lifecycle `Service`: `run()` serves until graceful shutdown (SIGTERM/SIGINT in a
/// `ServiceGroup`) or cancellation, then stops accepting, lets running requests finish (bounded),
/// shuts the platform down and returns.
public struct GatewayService: Service {
    public let server: GatewayServer
    private let onStart: @Sendable (Int) -> Void

    /// - Parameter onStart: called with the bound port once the server listens.
    public init(server: GatewayServer, onStart: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.server = server
        self.onStart = onStart
    }

    public func run() async throws {
        let port = try await server.start()
        onStart(port)
        // Returns on graceful shutdown; throws on cancellation. Either way: drain and stop.
        try? await gracefulShutdown()
        await server.shutdown()
    }
}

extension GatewayService {
    /// Runs the gateway in a `ServiceGroup` that shuts it down gracefully on SIGTERM or SIGINT.
    public func runUntilSignalled(logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: self)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
