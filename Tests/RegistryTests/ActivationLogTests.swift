import Foundation
import Registry
import Sandbox
import Testing

@Suite struct ActivationLogTests {
    static func record(_ id: String, function: String = "hello", status: ActivationStatus = .succeeded, at second: Double,
                       logs: String = "") -> ActivationRecord {
        ActivationRecord(
            id: id, function: function, version: 1, status: status, start: "warm", queueUs: 1, initUs: 2, runUs: 3,
            exit: 0, logs: logs, fuelUsed: UInt64.max - 1, created: Date(timeIntervalSince1970: 1_700_000_000 + second))
    }

    @Test func readsPendingRecordsAndStoresThemInBatches() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        // A long interval keeps records in memory until the flush below.
        let log = ActivationLog(store: store, limits: ActivationLimits(flushInterval: .seconds(30)), logger: Fixtures.quietLogger)
        log.record(Self.record("a", status: .queued, at: 1))
        log.record(Self.record("b", at: 2))
        log.record(Self.record("a", status: .running, at: 1))
        #expect(try log.get(id: "a")?.status == .running, "latest record per id wins, before it is stored")
        #expect(try log.list(function: "hello", limit: 10).map(\.id) == ["b", "a"])

        #expect(log.flush())
        #expect(log.pendingCount == 0)
        #expect(try store.activation(id: "a")?.status == .running)
        let stored = try #require(try store.activation(id: "b"))
        #expect(stored == Self.record("b", at: 2), "every field round-trips")

        log.record(Self.record("a", status: .failed, at: 1))
        #expect(try log.get(id: "a")?.status == .failed, "a pending update shadows the stored record")
        #expect(try log.list(function: nil, limit: 1).map(\.id) == ["b"])
        log.close()
        #expect(try store.activation(id: "a")?.status == .failed, "close stores what is pending")
        store.close()
    }

    @Test func writesWithinTheFlushIntervalWithoutAFlush() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        defer { store.close() }
        let log = ActivationLog(store: store, limits: ActivationLimits(flushInterval: .milliseconds(20)), logger: Fixtures.quietLogger)
        defer { log.close() }
        log.record(Self.record("x", at: 0))
        var stored = false
        for _ in 0..<500 where !stored {
            try await Task.sleep(for: .milliseconds(10))
            stored = try store.activation(id: "x") != nil
        }
        #expect(stored)
    }

    @Test func keepsAsyncResults() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let registry = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        var record = Self.record("async-1", at: 5)
        record.result = StoredResult(status: 201, headers: [HTTPField(name: "X-A", value: "1")], body: [0, 1, 255])
        record.error = "function_error"
        record.message = "exit 3"
        record.exit = 3
        registry.activations.record(record)
        registry.close()
        let reopened = try FunctionRegistry.open(directory: folder.path, logger: Fixtures.quietLogger)
        defer { reopened.close() }
        #expect(try reopened.activations.get(id: "async-1") == record)
    }

    @Test func capsRowsPerFunctionAndTotalBytes() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        defer { store.close() }
        let log = ActivationLog(
            store: store, limits: ActivationLimits(rowsPerFunction: 5, totalBytes: 40_000), logger: Fixtures.quietLogger)
        defer { log.close() }
        log.record(Self.record("running", status: .running, at: 0))
        for index in 1...12 { log.record(Self.record("f\(index)", at: Double(index))) }
        log.record(Self.record("g1", function: "other", at: 20))
        #expect(log.flush())
        #expect(try log.list(function: "hello", limit: 100).map(\.id) == ["f12", "f11", "f10", "f9", "f8", "running"])
        #expect(try log.get(id: "g1") != nil, "another function keeps its own rows")

        let big = String(repeating: "l", count: 10_000)
        for index in 1...6 { log.record(Self.record("big\(index)", function: "big", at: 100 + Double(index), logs: big)) }
        #expect(log.flush())
        let kept = try log.list(function: "big", limit: 100).map(\.id)
        #expect(kept.count < 6 && kept.first == "big6", "oldest finished records go first: \(kept)")
        #expect(try log.get(id: "running") != nil, "unfinished records are never trimmed")
    }

    @Test func manyWritersLoseNothing() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        defer { store.close() }
        let log = ActivationLog(store: store, limits: ActivationLimits(batchSize: 64), logger: Fixtures.quietLogger)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in 0..<250 {
                        log.record(Self.record("w\(writer)-\(index)", at: Double(index)))
                        #expect((try? log.get(id: "w\(writer)-\(index)")) != nil)
                    }
                }
            }
        }
        log.close()
        #expect(try store.activations(function: "hello", limit: 5000).count == 1000)
    }
}

@Suite struct ActivationRecordCodingTests {
    @Test func encodesWithSpecNamesAndRoundTrips() throws {
        var record = ActivationLogTests.record("id-1", at: 3)
        record.result = StoredResult(status: 202, headers: [HTTPField(name: "B", value: "2"), HTTPField(name: "A", value: "1")], body: [0, 255])
        let json = try JSONEncoder().encode(record)
        let text = String(decoding: json, as: UTF8.self)
        for key in ["\"queue_us\"", "\"init_us\"", "\"run_us\"", "\"fuel_used\"", "\"status\":\"succeeded\""] {
            #expect(text.contains(key), "\(key) in \(text)")
        }
        #expect(try JSONDecoder().decode(ActivationRecord.self, from: json) == record)
    }
}
