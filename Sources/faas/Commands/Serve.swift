import ArgumentParser
import Foundation
import Gateway
import Logging
import Sandbox
import Scheduler

#if canImport(Glibc)
    import Glibc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway.",
        discussion: """
            Listens on 127.0.0.1:8080 by default. A non-loopback --host needs --token (or FAAS_TOKEN)
            unless --insecure. SIGTERM or SIGINT stop it gracefully.

            Example:
              faas serve --examples
              FAAS_TOKEN=s3cret faas serve --host 0.0.0.0 --port 9000 --data /var/lib/faas
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Data folder (default $FAAS_DATA or ./.faas).")
    var data: String?

    @Option(help: "Bearer token for management and non-public functions (env FAAS_TOKEN).")
    var token: String?

    @Flag(help: "Allow a non-loopback --host without a token.")
    var insecure = false

    @Flag(help: "Build (if needed) and deploy the bundled examples of functions/.")
    var examples = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "One info line per request: on or off (on by default; --log-level above info also stops it).")
    var accessLog = "on"

    @Option(help: "The most bytes of keys and values one key-value store holds (bytes, or with Ki, Mi, Gi).")
    var kvQuota = "256Mi"

    @Option(help: "Threads that run guest code (default: one per core).")
    var workers: Int = SchedulerConfiguration.defaultWorkerThreads

    @Option(help: "Pin each worker thread to a CPU of its own: on or off (off by default; only when there are at least as many CPUs as workers).")
    var pinWorkers = "off"

    @Option(help: "Instances of one module kept, when their compartments go away cleanly, for the next cold start of that module (0 turns it off).")
    var recycledInstances = IntravisorConfiguration().recycledInstances

    @Option(help: "This node's name in activation records (env FAAS_NODE; default HOSTNAME:PORT).")
    var node: String?

    @Option(help: "A PostgreSQL registry shared by several nodes, postgres://user:password@host:port/db (env FAAS_REGISTRY; default: SQLite in the data folder).")
    var registry: String?

    @Option(help: "The JavaScript runtime module (env FAAS_JS_RUNTIME; default functions/build/runtime/js.wasm).")
    var jsRuntime: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        let loopback = GatewayConfiguration.isLoopback(host: host)
        let token = token ?? ProcessInfo.processInfo.environment["FAAS_TOKEN"] ?? ""
        if !loopback, token.isEmpty, !insecure {
            throw ValidationError("refusing to listen on \(host) without a token; set --token (or FAAS_TOKEN) or pass --insecure")
        }
        guard (1...1024).contains(workers) else { throw ValidationError("--workers must be from 1 to 1024") }
        guard (0...64).contains(recycledInstances) else {
            throw ValidationError("--recycled-instances must be from 0 to 64")
        }
        guard Self.bytes(kvQuota) != nil else {
            throw ValidationError("--kv-quota must be a size such as 256Mi, 1Gi or 65536")
        }
        guard accessLog == "on" || accessLog == "off" else { throw ValidationError("--access-log must be on or off") }
        guard pinWorkers == "on" || pinWorkers == "off" else { throw ValidationError("--pin-workers must be on or off") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The platform runtimes' modules: the JavaScript runtime from `explicit` (which must be readable),
    /// else from `default` when it exists; without one, JavaScript functions are refused with 503.
    static func runtimes(explicit: String?, default fallback: URL?, logger: Logger) throws -> [GuestRuntime: [UInt8]] {
        if let explicit {
            guard let bytes = FileManager.default.contents(atPath: explicit) else {
                throw ValidationError("--js-runtime: cannot read \(explicit)")
            }
            return [.js: Array(bytes)]
        }
        if let fallback, let bytes = FileManager.default.contents(atPath: fallback.path) {
            return [.js: Array(bytes)]
        }
        logger.notice("no JavaScript runtime: functions with runtime js cannot run here (functions/build.sh builds it)")
        return [:]
    }

    /// A size in bytes: digits, optionally followed by Ki, Mi or Gi.
    static func bytes(_ text: String) -> Int? {
        let units: [(String, Int)] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let count = Int(text.dropLast(2)), count > 0 else { return nil }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: scale)
            return overflow ? nil : bytes
        }
        return Int(text).flatMap { $0 > 0 ? $0 : nil }
    }

    func run() async throws {
        // Every line is formatted and written by the sink's thread, batched: logging a request costs
        // the event loop an append to a buffer, not a write to stderr.
        let sink = LogSink(descriptor: STDERR_FILENO)
        LoggingSystem.bootstrap { label in SinkLogHandler(label: label, sink: sink) }
        defer { sink.flush() }
        var logger = Logger(label: "faas")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let environment = ProcessInfo.processInfo.environment
        let givenNode = node ?? environment["FAAS_NODE"].flatMap { $0.isEmpty ? nil : $0 }
        // The default node name holds the port, which must be known before the gateway binds it.
        let port = self.port == 0 && givenNode == nil ? Self.freePort(host: host) ?? 0 : self.port
        var configuration = GatewayConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.token = token ?? environment["FAAS_TOKEN"]
        configuration.insecure = insecure
        configuration.accessLog = accessLog == "on"
        var options = ServeOptions(
            dataDirectory: data ?? environment["FAAS_DATA"].flatMap { $0.isEmpty ? nil : $0 } ?? "./.faas",
            logger: logger, workerThreads: workers, pinWorkers: pinWorkers == "on", recycledInstances: recycledInstances,
            node: givenNode ?? "\(SchedulerConfiguration.defaultNode):\(port)",
            kvQuota: Self.bytes(kvQuota) ?? KeyValueRules.defaultQuotaBytes,
            registryURL: registry ?? environment["FAAS_REGISTRY"].flatMap { $0.isEmpty ? nil : $0 })
        let functions = ExampleDeployer.locate().map { ExampleDeployer(directory: $0, logger: logger) }
        if examples {
            guard let functions else {
                throw ValidationError("--examples: no functions/ folder with build.sh here (set FAAS_EXAMPLES)")
            }
            try await functions.build()  // first, so that the JavaScript runtime it builds is there
        }
        options.runtimes = try Self.runtimes(
            explicit: jsRuntime ?? environment["FAAS_JS_RUNTIME"].flatMap { $0.isEmpty ? nil : $0 },
            default: functions?.javaScriptRuntime, logger: logger)
        let platform = try await PlatformFactory.make(options)
        if examples, let functions {
            try await functions.deployAll(to: platform, building: false)
        }
        let server = GatewayServer(configuration: configuration, platform: platform, logger: logger)
        let heartbeatLogger = logger
        let service = GatewayService(server: server) { port in
            Output.error("faas gateway listening on http://\(host):\(port)")
            platform.startHeartbeat(address: "http://\(host):\(port)", logger: heartbeatLogger)
        }
        try await service.runUntilSignalled(logger: logger)
    }

    /// A port free on `host` now (the kernel's pick for port 0), or nil when none can be bound there.
    static func freePort(host: String) -> Int? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, "0", &hints, &found) == 0, let info = found else { return nil }
        defer { freeaddrinfo(found) }
        let socket = Glibc.socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        guard bind(socket, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else { return nil }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard named == 0 else { return nil }
        let family = Int32(address.ss_family)
        let port: UInt16 = withUnsafePointer(to: &address) { pointer in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
        }
        let value = Int(UInt16(bigEndian: port))
        return value > 0 ? value : nil
    }
}
