/// How the gateway listens and what it accepts. Built once from flags and the environment.
public struct GatewayConfiguration: Sendable {
    /// Address to bind. Default `127.0.0.1`.
    public var host: String = "127.0.0.1"
    /// Port to bind; `0` picks a free one. Default `8080`.
    public var port: Int = 8080
    /// Bearer token for management paths and non-public functions; `nil` or empty: no authentication.
    public var token: String?
    /// Allows binding a non-loopback address without a token. Default `false`.
    public var insecure: Bool = false
    /// Largest request body of an invocation (and every path but deploy). Default 6 MiB.
    public var maxBodyBytes: Int = 6 << 20
    /// Largest deploy body (the archive's compressed limit). Default 64 MiB.
    public var maxDeployBytes: Int = 64 << 20
    /// A connection that sends nothing for this long while no request of it is running is closed. Default 60 s.
    public var idleTimeout: Duration = .seconds(60)
    /// A request must arrive whole (head to end) within this long, however steadily it trickles in;
    /// otherwise the connection is closed. Default 120 s.
    public var requestTimeout: Duration = .seconds(120)
    /// After answering early (413, 401 with a body still coming) the gateway stops sending, discards what
    /// the client still sends for at most this long so it can read the answer, then closes. Default 2 s.
    public var lingerTimeout: Duration = .seconds(2)
    /// Open connections beyond this are closed as soon as they are accepted. Default 4,096.
    public var maxConnections: Int = 4096
    /// How long a shutdown waits for running requests before closing their connections. Default 30 s.
    public var shutdownGrace: Duration = .seconds(30)

    /// One `info` line per answered request (when the logger is at `info` or below). Default `true`.
    public var accessLog: Bool = true

    public init() {}

    /// Whether `host` names the loopback interface only.
    public var isLoopback: Bool { Self.isLoopback(host: host) }

    /// Whether `host` names the loopback interface only.
    public static func isLoopback(host: String) -> Bool {
        let name = host.lowercased()
        return name == "localhost" || name == "::1" || name == "[::1]" || name.hasPrefix("127.")
    }
}
