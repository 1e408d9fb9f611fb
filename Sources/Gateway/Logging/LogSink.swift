import Foundation
public import Logging
import NIOHTTP1
import Registry
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// Writes the process's log lines from a thread of its own, batched: whoever logs (an event loop, a
/// worker) only appends a small value to a bounded buffer; the sink's thread formats what gathered
/// and writes it with one `write(2)`.
///
/// When the buffer is full (the descriptor blocks, or lines come faster than they can be written)
/// new lines are dropped and counted rather than making the logging thread wait; the next batch
/// written says how many were lost. Lines read like swift-log's `StreamLogHandler`:
/// `2026-12-02T11:25:00+0000 info faas : faas.path=/invoke/hello faas.status=200 [Gateway] request`.
///
/// ```swift
/// let sink = LogSink(descriptor: STDERR_FILENO)
/// LoggingSystem.bootstrap { label in SinkLogHandler(label: label, sink: sink) }
/// // … at exit:
/// sink.flush()
/// ```
public final class LogSink: @unchecked Sendable {
    // @unchecked: `pending`, `writerWaiting`, `queued` and `written` are touched only with `condition`
    // held; the formatting state (`clock`) lives on the writer thread alone.
    /// One line to write: a log event, or an access-log entry kept compact until the writer formats it.
    enum Line {
        case event(
            level: Logger.Level, label: String, message: String, metadata: Logger.Metadata, source: String,
            time: Int)
        case access(AccessEntry, label: String)
    }

    /// The most lines held before new ones are dropped.
    public let capacity: Int
    private let descriptor: Int32
    private let condition = NSCondition()
    private var pending: [Line] = []
    private var writerWaiting = false
    /// Lines accepted and lines written (or found unwritable) since the start, for ``flush(timeout:)``.
    private var queued = 0
    private var written = 0
    private let droppedLines = Atomic<Int>(0)
    private let pause: Duration
    private var clock = TimestampCache()

    /// - Parameters:
    ///   - descriptor: where lines go (`STDERR_FILENO` for the gateway); not closed by the sink.
    ///   - capacity: the most lines held while the writer is behind (default 16,384).
    ///   - pause: how long the writer lets a batch gather after writing one (default 2 ms), so that
    ///     under load it wakes a few hundred times a second, not once per line.
    public init(descriptor: Int32, capacity: Int = 16_384, pause: Duration = .milliseconds(2)) {
        self.descriptor = descriptor
        self.capacity = max(capacity, 1)
        self.pause = pause
        let thread = Thread { [self] in
            ThreadName.setCurrent("faas-log")
            run()
        }
        thread.start()
    }

    /// Lines dropped so far because the buffer was full.
    public var dropped: Int { droppedLines.load(ordering: .relaxed) }

    /// Queues `line`; drops and counts it when the buffer is full. Never blocks on the descriptor.
    func append(_ line: Line) {
        condition.lock()
        guard pending.count < capacity else {
            condition.unlock()
            droppedLines.add(1, ordering: .relaxed)
            return
        }
        pending.append(line)
        queued += 1
        let wake = writerWaiting
        writerWaiting = false
        condition.unlock()
        if wake { condition.broadcast() }  // broadcast: a flush may be waiting on the condition too
    }

    /// Returns once every line queued before the call is written, or after `timeout`.
    public func flush(timeout: Duration = .seconds(2)) {
        let giveUp = Date(timeIntervalSinceNow: Self.seconds(timeout))
        condition.lock()
        let target = queued
        while written < target, condition.wait(until: giveUp) {}
        condition.unlock()
    }

    private func run() {
        var reported = 0
        var out: [UInt8] = []
        out.reserveCapacity(64 << 10)
        // The lines taken from `pending`: the two arrays trade places, so neither is copied or
        // reallocated once both have grown to a batch's size.
        var batch: [Line] = []
        let pauseSeconds = Self.seconds(pause)
        while true {
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            while pending.isEmpty {
                writerWaiting = true
                condition.wait()
            }
            swap(&batch, &pending)
            condition.unlock()

            out.removeAll(keepingCapacity: true)
            for line in batch { format(line, into: &out) }
            let lost = dropped
            if lost > reported {
                let notice =
                    "\(clock.string(for: time(nil))) warning faas : faas.dropped=\(lost - reported) [Gateway] "
                    + "log lines dropped: the log writer could not keep up\n"
                out.append(contentsOf: notice.utf8)
                reported = lost
            }
            write(out)
            condition.lock()
            written += batch.count
            condition.unlock()
            condition.broadcast()  // a flush may wait for this batch
            if pauseSeconds > 0 { Thread.sleep(forTimeInterval: pauseSeconds) }
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Writes all of `bytes`, retrying short writes and interruptions; gives up on other errors.
    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    private func format(_ line: Line, into out: inout [UInt8]) {
        switch line {
        case .event(let level, let label, let message, let metadata, let source, let time):
            out.append(contentsOf: clock.string(for: time).utf8)
            out.append(contentsOf: " \(level) \(label) :".utf8)
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                out.append(contentsOf: " \(key)=\(value)".utf8)
            }
            out.append(contentsOf: " [\(source)] \(message)\n".utf8)
        case .access(let entry, let label):
            out.append(contentsOf: clock.string(for: entry.time).utf8)
            out.append(contentsOf: " info \(label) :".utf8)
            // The keys in sorted order, as the event form writes them.
            if let activation = entry.activation {
                out.append(contentsOf: " faas.activation=".utf8)
                out.append(contentsOf: activation.utf8)
            }
            out.append(contentsOf: " faas.duration_us=".utf8)
            Self.appendDecimal(entry.micros, to: &out)
            out.append(contentsOf: " faas.method=".utf8)
            out.append(contentsOf: entry.method.rawValue.utf8)
            out.append(contentsOf: " faas.path=".utf8)
            out.append(contentsOf: entry.path.utf8)
            out.append(contentsOf: " faas.status=".utf8)
            Self.appendDecimal(Int64(entry.status), to: &out)
            out.append(contentsOf: " [Gateway] request\n".utf8)
        }
    }
}

extension LogSink {
    /// Appends `value` in decimal without making a `String` (the access line's numbers).
    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        // The digits come out lowest first; they are turned around in place.
        let first = out.count
        var magnitude = value.magnitude
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[first...].reverse()
    }
}

/// Formats a second as `%Y-%m-%dT%H:%M:%S%z` in local time, once per second.
private struct TimestampCache {
    private var second = -1
    private var text = ""

    mutating func string(for time: Int) -> String {
        guard time != second else { return text }
        var value = time_t(time)
        var parts = tm()
        localtime_r(&value, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        text = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        second = time
        return text
    }
}
