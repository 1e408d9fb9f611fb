public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The HTTP server of the API, on SwiftNIO.
///
/// ```swift
/// var configuration = GatewayConfiguration()
/// configuration.port = 0
/// let server = GatewayServer(configuration: configuration, platform: platform, logger: logger)
/// let port = try await server.start()
/// // … serve …
/// await server.shutdown()
/// ```
/// Usually run as a ``GatewayService`` in a `ServiceGroup`, which calls ``shutdown()`` on SIGTERM.
public final class GatewayServer: Sendable {
    private enum Phase {
        case created
        case starting
        case running(any Channel)
        case stopped
    }

    public let configuration: GatewayConfiguration
    private let platform: any FunctionPlatform
    private let logger: Logger
    private let group: any EventLoopGroup
    private let tracker: ConnectionTracker
    private let phase = Mutex(Phase.created)

    /// - Parameters:
    ///   - group: the event loops; defaults to NIO's shared group (one loop per core).
    public init(
        configuration: GatewayConfiguration, platform: any FunctionPlatform, logger: Logger,
        group: (any EventLoopGroup)? = nil
    ) {
        self.configuration = configuration
        self.platform = platform
        self.logger = logger
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
        self.tracker = ConnectionTracker(limit: configuration.maxConnections)
    }

    /// Binds and starts accepting connections.
    /// - Returns: the bound port (useful with port `0`).
    /// - Throws: ``GatewayStartError``: an insecure bind, a bind failure, or a second start.
    @discardableResult
    public func start() async throws(GatewayStartError) -> Int {
        let configuration = self.configuration
        if !configuration.isLoopback, (configuration.token ?? "").isEmpty, !configuration.insecure {
            throw GatewayStartError(
                code: .insecureBind,
                message: "refusing to listen on \(configuration.host) without a token; set --token (or FAAS_TOKEN) or pass --insecure")
        }
        let claimed = phase.withLock { phase in
            guard case .created = phase else { return false }
            phase = .starting
            return true
        }
        guard claimed else {
            throw GatewayStartError(code: .wrongState, message: "the gateway was already started")
        }
        let router = Router(platform: platform, authenticator: BearerAuthenticator(token: configuration.token))
        let limits = HTTPConnectionHandler.Limits(
            maxBodyBytes: configuration.maxBodyBytes, maxDeployBytes: configuration.maxDeployBytes,
            lingerTimeout: .nanoseconds(Self.nanoseconds(configuration.lingerTimeout)),
            requestTimeout: .nanoseconds(Self.nanoseconds(configuration.requestTimeout)))
        let idle = TimeAmount.nanoseconds(Self.nanoseconds(configuration.idleTimeout))
        let tracker = self.tracker
        let logger = self.logger
        let accessLog = AccessLog(enabled: configuration.accessLog, logger: logger)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    guard tracker.admit(channel) else {
                        logger.warning("connection refused: too many open connections")
                        return channel.close()
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(readTimeout: idle))
                        // Pipelining and malformed requests are handled by the connection handler (see there why).
                        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                        try pipeline.addHandler(HTTPConnectionHandler(router: router, limits: limits, logger: logger, accessLog: accessLog))
                    }
                }
                .bind(host: configuration.host, port: configuration.port)
                .get()
        } catch {
            phase.withLock { $0 = .created }
            throw GatewayStartError(
                code: .bindFailed, message: "cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        phase.withLock { $0 = .running(channel) }
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("gateway listening", metadata: ["faas.host": "\(configuration.host)", "faas.port": "\(port)"])
        return port
    }

    /// The bound port while running.
    public var port: Int? {
        phase.withLock { phase in
            if case .running(let channel) = phase { return channel.localAddress?.port }
            return nil
        }
    }

    /// How many client connections are open now.
    public var openConnections: Int { tracker.count }

    /// Stops accepting, lets running requests finish (at most ``GatewayConfiguration/shutdownGrace``),
    /// closes every connection, then shuts the platform down (activation records flushed, storage closed).
    /// Calling it again does nothing.
    public func shutdown() async {
        let channel: (any Channel)? = phase.withLock { phase in
            defer { phase = .stopped }
            if case .running(let channel) = phase { return channel }
            return nil
        }
        guard let channel else { return }
        logger.info("gateway stopping", metadata: ["faas.connections": "\(tracker.count)"])
        try? await channel.close()

        // Ask every connection to finish its current request and close.
        let open = tracker.channels
        for connection in open {
            connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let grace = configuration.shutdownGrace
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for connection in open { try? await connection.closeFuture.get() }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !drained {
            logger.warning("closing connections still busy after the shutdown grace period")
            for connection in tracker.channels { try? await connection.close() }
        }
        await platform.shutdown(grace: grace)
        logger.info("gateway stopped")
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
