import Logging
import NIOHTTP1
#if canImport(Glibc)
    import Glibc
#endif

/// One answered request, as the access log keeps it until it is written.
struct AccessEntry: Sendable {
    var method: HTTPMethod
    var path: String
    var status: UInt
    var micros: Int64
    var activation: String?
    var time: Int
}

/// Where the gateway's one line per request goes (SPEC: `info`, keys `faas.method`, `faas.path`,
/// `faas.status`, `faas.duration_us`, `faas.activation`).
///
/// Off when switched off or when the logger's level is above `info`. When the logger writes through
/// a ``SinkLogHandler`` (as `faas serve` sets up), the entry goes to the sink as a compact value and
/// is formatted on the sink's thread: the event loop builds no metadata and writes nothing. With any
/// other handler the line goes through the logger as an ordinary `info` event.
struct AccessLog: Sendable {
    private enum Target: Sendable {
        case off
        case sink(LogSink, label: String)
        case logger(Logger)
    }

    private let target: Target

    init(enabled: Bool, logger: Logger) {
        if !enabled || logger.logLevel > .info {
            target = .off
        } else if let handler = logger.handler as? SinkLogHandler {
            target = .sink(handler.sink, label: handler.label)
        } else {
            target = .logger(logger)
        }
    }

    var isEnabled: Bool {
        if case .off = target { return false }
        return true
    }

    func record(_ entry: AccessEntry) {
        switch target {
        case .off:
            return
        case .sink(let sink, let label):
            sink.append(.access(entry, label: label))
        case .logger(let logger):
            var metadata: Logger.Metadata = [
                "faas.method": "\(entry.method.rawValue)",
                "faas.path": "\(entry.path)",
                "faas.status": "\(entry.status)",
                "faas.duration_us": "\(entry.micros)",
            ]
            if let activation = entry.activation { metadata["faas.activation"] = "\(activation)" }
            logger.info("request", metadata: metadata)
        }
    }
}
