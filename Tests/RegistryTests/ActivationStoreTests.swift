import Foundation
import GRDB
import Registry
import Sandbox
import Testing

@Suite struct ActivationStoreTests {
    static let finished = "status IN ('succeeded', 'failed')"

    /// The trigger-kept totals against a count of the table itself, per function.
    static func totals(at path: String) throws -> (kept: [String: [Int]], counted: [String: [Int]]) {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            var kept: [String: [Int]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT function, finished, bytes FROM activation_totals WHERE finished > 0") {
                kept[row["function"]] = [row["finished"], row["bytes"]]
            }
            var counted: [String: [Int]] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT function, COUNT(*) AS n, SUM(bytes) AS b FROM activations WHERE \(finished) GROUP BY function")
            {
                counted[row["function"]] = [row["n"], row["b"]]
            }
            return (kept, counted)
        }
    }

    @Test func totalsFollowReplacedRecordsAndTheRowCap() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.path + "/registry.sqlite"
        let store = try SQLiteFunctionStore(path: path)
        defer { store.close() }
        let log = ActivationLog(
            store: store, limits: ActivationLimits(rowsPerFunction: 2, flushInterval: .seconds(30)), logger: Fixtures.quietLogger)
        defer { log.close() }
        log.record(ActivationLogTests.record("a", status: .queued, at: 1))
        #expect(log.flush())
        log.record(ActivationLogTests.record("a", status: .succeeded, at: 1))  // unfinished -> finished
        log.record(ActivationLogTests.record("b", at: 2))
        #expect(log.flush())
        log.record(ActivationLogTests.record("b", status: .failed, at: 2, logs: "boom"))  // finished -> finished
        #expect(log.flush())
        #expect(try log.list(function: "hello", limit: 10).map(\.id) == ["b", "a"], "a replaced record is not counted twice")
        var totals = try Self.totals(at: path)
        #expect(totals.kept == totals.counted && totals.kept["hello"]?.first == 2)

        log.record(ActivationLogTests.record("c", at: 3))
        log.record(ActivationLogTests.record("q", function: "other", status: .queued, at: 4))
        #expect(log.flush())
        #expect(try log.list(function: "hello", limit: 10).map(\.id) == ["c", "b"])
        #expect(try store.activation(id: "b")?.logs == "boom")
        totals = try Self.totals(at: path)
        #expect(totals.kept == totals.counted, "\(totals)")
        #expect(totals.kept["other"] == nil, "unfinished records are not counted")
    }

    @Test func openingAnOlderDatabaseFillsTheTotals() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.path + "/registry.sqlite"
        let limits = ActivationLimits(rowsPerFunction: 2)
        do {
            let store = try SQLiteFunctionStore(path: path)
            try store.write(
                (1...3).map { ActivationLogTests.record("f\($0)", at: Double($0)) }
                    + [ActivationLogTests.record("r", status: .running, at: 0)], limits: ActivationLimits())
            store.close()
        }
        // Back to the first schema: no totals table, the migration not yet applied.
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(
                sql: """
                    DROP TABLE activation_totals;
                    DELETE FROM grdb_migrations WHERE identifier = 'v2: activation totals';
                    """)
        }
        try queue.close()

        let store = try SQLiteFunctionStore(path: path)
        defer { store.close() }
        let totals = try Self.totals(at: path)
        #expect(totals.kept == totals.counted && totals.kept["hello"]?.first == 3)
        try store.write([ActivationLogTests.record("f4", at: 4)], limits: limits)
        #expect(try store.activations(function: "hello", limit: 10).map(\.id) == ["f4", "f3", "r"])
    }

    @Test func manyPendingRecordsStayReadableUntilFlushed() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        defer { store.close() }
        // Neither the interval nor a full batch comes: only the flush writes.
        let log = ActivationLog(
            store: store, limits: ActivationLimits(rowsPerFunction: 10_000, flushInterval: .seconds(60), batchSize: 100_000),
            logger: Fixtures.quietLogger)
        defer { log.close() }
        let count = 5000
        for index in 0..<count { log.record(ActivationLogTests.record("p\(index)", status: .running, at: Double(index))) }
        for index in stride(from: 0, to: count, by: 3) {
            log.record(ActivationLogTests.record("p\(index)", status: .failed, at: Double(index)))
        }
        #expect(log.pendingCount == count + (count + 2) / 3, "replaced records wait with their batch")
        #expect(try store.activation(id: "p0") == nil, "nothing is stored before the flush")
        #expect(try log.get(id: "p3")?.status == .failed)
        #expect(try log.get(id: "p4")?.status == .running)
        #expect(try log.list(function: "hello", limit: 3).map(\.id) == ["p4999", "p4998", "p4997"])
        #expect(try log.list(function: "hello", limit: 2 * count).count == count)

        #expect(log.flush())
        #expect(log.pendingCount == 0)
        let stored = try store.activations(function: "hello", limit: 2 * count)
        #expect(stored.count == count)
        #expect(stored.allSatisfy { record in
            record.status == (Int(record.id.dropFirst())! % 3 == 0 ? .failed : .running)
        }, "the newest record of each id is the one stored")
        let totals = try Self.totals(at: folder.path + "/registry.sqlite")
        #expect(totals.kept == totals.counted && totals.kept["hello"]?.first == (count + 2) / 3,
                "an id given twice in one batch is counted once: \(totals)")
    }

    @Test func emptyTextsAndBodiesRoundTrip() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        defer { store.close() }
        var record = ActivationLogTests.record("e", at: 1)
        record.start = nil
        record.exit = nil
        record.message = ""
        record.result = StoredResult(status: 204, headers: [], body: [])
        var other = ActivationLogTests.record("n", at: 2, logs: "two\nlines, ünïcode")
        other.error = "function_error"
        try store.write([record, other], limits: ActivationLimits())
        #expect(try store.activation(id: "e") == record)
        #expect(try store.activation(id: "n") == other)
    }

    @Test func textsWithNULBytesComeBackWhole() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        defer { store.close() }
        // A guest's stderr may hold any bytes; the log must not end at the first NUL once stored.
        var record = ActivationLogTests.record("z", at: 1, logs: "before\u{0}after\n\u{0}")
        record.error = "function_error"
        record.message = "exit\u{0}code"
        try store.write([record], limits: ActivationLimits())
        #expect(try store.activation(id: "z") == record)
        #expect(try store.activations(function: record.function, limit: 10) == [record])
        #expect(try store.activations(function: nil, limit: 10) == [record])
    }
}
