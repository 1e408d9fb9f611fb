public import Logging
#if canImport(Glibc)
    import Glibc
#endif

/// A swift-log handler that hands every event to a ``LogSink``: the caller pays for copying the
/// message and metadata, the sink's thread for formatting and writing.
public struct SinkLogHandler: LogHandler {
    public let label: String
    public let sink: LogSink
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public init(label: String, sink: LogSink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        sink.append(
            .event(
                level: event.level, label: label, message: event.message.description, metadata: merged,
                source: event.source, time: time(nil)))
    }
}
