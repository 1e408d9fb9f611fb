import Foundation
import GRDB
import SandboxTesting
import Testing

@testable import Registry

/// Records the row cap would delete in the transaction that stores them are left out; the table
/// must end exactly as if they had been inserted and trimmed.
@Suite struct ActivationBatchTests {
    static func record(
        _ id: String, _ function: String = "f", _ status: ActivationStatus = .succeeded, at second: Double, async: Bool = false
    ) -> ActivationRecord {
        var record = ActivationLogTests.record(id, function: function, status: status, at: second)
        record.isAsync = async
        return record
    }

    @Test func onlyTheOnlyRecordsOfSynchronousActivationsBeyondTheCapAreLeftOut() {
        let batch = [
            Self.record("s1", at: 1), Self.record("s2", at: 2), Self.record("a3", at: 3, async: true),
            Self.record("s4", at: 4), Self.record("s5", at: 5), Self.record("g1", "g", at: 6),
        ]
        // 5 finished rows of f, cap 2: the oldest 3 go; the async one among them is written and trimmed.
        #expect(SQLiteFunctionStore.recordsTrimmedAtOnce(batch, rowsPerFunction: 2) == [true, true, false, false, false, false])
        #expect(SQLiteFunctionStore.recordsTrimmedAtOnce(batch, rowsPerFunction: 5) == nil)

        // x is recorded twice (running, then final): one row, and not left out.
        let repeated = [
            Self.record("x", "f", .running, at: 1), Self.record("y", at: 2), Self.record("z", at: 3), Self.record("x", at: 4),
        ]
        #expect(SQLiteFunctionStore.recordsTrimmedAtOnce(repeated, rowsPerFunction: 1) == [false, true, true, false])
        // Four final records but three rows: within a cap of 3, nothing goes.
        #expect(SQLiteFunctionStore.recordsTrimmedAtOnce(repeated + [Self.record("x", "f", .failed, at: 5)], rowsPerFunction: 3) == nil)
    }

    /// Every row and every total, in a form two stores can be compared by.
    static func contents(of path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM activations ORDER BY id").map { "\($0)" }
                + Row.fetchAll(db, sql: "SELECT * FROM activation_totals ORDER BY function").map { "\($0)" }
        }
    }

    @Test(arguments: 0..<24) func theTableEndsAsIfEveryRecordHadBeenInsertedAndTrimmed(seed: UInt64) throws {
        var random = SeededGenerator(seed: 0xBA7C_0000 + seed)
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let cap = Int.random(in: 1...6, using: &random)
        let limits = ActivationLimits(rowsPerFunction: cap)
        let functions = ["f", "g", "h"]
        var clock = 0.0
        func next() -> Double {
            clock += 1
            return clock
        }

        // Stored before the batch: finished records, and the first records of activations that end in it.
        var earlier: [ActivationRecord] = []
        var later: [ActivationRecord] = []
        for index in 0..<Int.random(in: 0...10, using: &random) {
            earlier.append(Self.record("old\(index)", functions.randomElement(using: &random)!, at: next()))
        }
        for index in 0..<Int.random(in: 0...4, using: &random) {
            let function = functions.randomElement(using: &random)!
            let async = Bool.random(using: &random)
            earlier.append(Self.record("open\(index)", function, async ? .queued : .running, at: next(), async: async))
            later.append(Self.record("open\(index)", function, .succeeded, at: 0, async: async))
        }
        // The batch: mostly synchronous activations of one busy function, some async ones, some ids
        // recorded twice, and the ends of the activations opened above, in random places.
        var batch: [ActivationRecord] = []
        for index in 0..<Int.random(in: 5...60, using: &random) {
            let function = Double.random(in: 0..<1, using: &random) < 0.7 ? "f" : functions.randomElement(using: &random)!
            switch Int.random(in: 0..<10, using: &random) {
            case 0:
                batch.append(Self.record("q\(index)", function, .queued, at: next(), async: true))
                if Bool.random(using: &random) { batch.append(Self.record("q\(index)", function, .failed, at: next(), async: true)) }
            case 1:
                batch.append(Self.record("r\(index)", function, .running, at: next()))
                batch.append(Self.record("r\(index)", function, .succeeded, at: next()))
            default:
                batch.append(Self.record("s\(index)", function, Bool.random(using: &random) ? .succeeded : .failed, at: next()))
            }
            if !later.isEmpty, Int.random(in: 0..<4, using: &random) == 0 {
                var end = later.removeFirst()
                end.created = Date(timeIntervalSince1970: 1_700_000_000 + next())
                batch.append(end)
            }
        }

        var contents: [[String]] = []
        for leavingOut in [true, false] {
            let path = folder.path + "/\(leavingOut).sqlite"
            let store = try SQLiteFunctionStore(path: path)
            try store.write(earlier, limits: limits, leavingOutTrimmed: leavingOut)
            try store.write(batch, limits: limits, leavingOutTrimmed: leavingOut)
            store.close()
            contents.append(try Self.contents(of: path))
        }
        #expect(contents[0] == contents[1], "cap \(cap), batch of \(batch.count)")
        #expect(contents[0].contains { $0.contains("function:\"f\"") })
    }

    @Test func aBusyFunctionsBatchIsMostlyLeftOut() throws {
        // The case the rule is for: far more calls of one function in a flush interval than its cap.
        let batch = (0..<1000).map { Self.record("n\($0)", at: Double($0)) }
        let skippable = try #require(SQLiteFunctionStore.recordsTrimmedAtOnce(batch, rowsPerFunction: 100))
        #expect(skippable.filter { $0 }.count == 900)
        #expect(skippable.suffix(100).allSatisfy { !$0 }, "the newest 100 are the ones stored")

        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try SQLiteFunctionStore(path: folder.path + "/registry.sqlite")
        defer { store.close() }
        try store.write(batch, limits: ActivationLimits(rowsPerFunction: 100))
        let stored = try store.activations(function: "f", limit: 1000)
        #expect(stored.map(\.id) == (900..<1000).reversed().map { "n\($0)" })
    }
}
