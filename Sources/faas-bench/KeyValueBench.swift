import ArgumentParser
import Foundation
import Registry

/// The latency of the SQLite key-value store as a guest's hostcall sees it: a get from the
/// calling thread, and a durable set (group commit, fsync) alone and under concurrent writers.
struct KeyValueBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Percentiles of key-value get, keys and durable set (SQLite, WAL, synchronous = FULL).",
        discussion: "Example: faas-bench kv --gets 100000 --sets 2000 --writers 8")

    @Option(help: "Gets to time.")
    var gets = 100_000

    @Option(help: "Sets to time, from one thread and then from each of --writers threads.")
    var sets = 1000

    @Option(help: "Threads writing at once for the concurrent figure.")
    var writers = 8

    @Option(help: "Keys in the store (100-byte values).")
    var keys = 10_000

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("faas-bench-kv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteKeyValueStore(path: folder.path + "/kv.sqlite")
        defer { store.close() }
        let names = (0..<keys).map { Array("user:\($0)".utf8) }
        let value = [UInt8](repeating: 0x61, count: 100)
        DispatchQueue.concurrentPerform(iterations: 16) { part in
            for index in stride(from: part, to: names.count, by: 16) {
                try? store.set(store: "bench", key: names[index], value: value)
            }
        }
        let clock = ContinuousClock()
        var samples: [Duration] = []
        samples.reserveCapacity(gets)
        for index in 0..<gets {
            let key = names[(index &* 7919) % names.count]
            samples.append(try clock.measure { _ = try store.get(store: "bench", key: key) })
        }
        report("get", samples)
        samples = try (0..<max(1, gets / 10)).map { index in
            let prefix = Array("user:\(index % 10)".utf8)
            return try clock.measure { _ = try store.keys(store: "bench", prefix: prefix, limit: 10) }
        }
        report("keys (10)", samples)
        samples = try (0..<sets).map { index in
            try clock.measure { try store.set(store: "bench", key: names[index % names.count], value: value) }
        }
        report("set, 1 writer", samples)
        let shared = Samples()
        let start = clock.now
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            for index in 0..<sets {
                let key = names[(writer * sets + index) % names.count]
                if let duration = try? clock.measure({ try store.set(store: "bench", key: key, value: value) }) {
                    shared.add(duration)
                }
            }
        }
        let elapsed = BenchFigures.seconds(clock.now - start)
        report("set, \(writers) writers", shared.all)
        print(String(format: "  %d writers: %.0f durable sets/s", writers, Double(writers * sets) / elapsed))
    }

    private func report(_ what: String, _ samples: [Duration]) {
        print(
            "kv \(what): p50 \(BenchFigures.format(BenchFigures.percentile(samples, 0.5))), "
                + "p99 \(BenchFigures.format(BenchFigures.percentile(samples, 0.99))) over \(samples.count)")
    }
}

/// Durations gathered from many threads.
private final class Samples: @unchecked Sendable {
    // @unchecked: `durations` is only touched with `lock` held.
    private let lock = NSLock()
    private var durations: [Duration] = []

    func add(_ duration: Duration) { lock.withLock { durations.append(duration) } }
    var all: [Duration] { lock.withLock { durations } }
}
