import Foundation
import GRDB
import Sandbox

extension SQLiteFunctionStore {
    public func write(_ records: [ActivationRecord], limits: ActivationLimits) throws {
        try write(records, limits: limits, leavingOutTrimmed: true)
    }

    /// ``write(_:limits:)``; with `leavingOutTrimmed` false, every record is inserted before the
    /// trim, even those it deletes at once (what tests compare against).
    func write(_ records: [ActivationRecord], limits: ActivationLimits, leavingOutTrimmed: Bool) throws {
        guard !records.isEmpty else { return }
        let skippable = leavingOutTrimmed ? Self.recordsTrimmedAtOnce(records, rowsPerFunction: limits.rowsPerFunction) : nil
        try database.write { db in
            var totals = ActivationTotals()
            let upsert = try ActivationUpsert(db)
            for (index, record) in records.enumerated() {
                if let skippable, skippable[index], try !upsert.isStored(id: record.id) { continue }
                try upsert.execute(record, totals: &totals)
            }
            try totals.apply(db)
            try Self.trim(db, functions: Set(records.map(\.function)), limits: limits)
        }
    }

    /// Which records of a batch need not be stored at all, because the row cap would delete them in
    /// the transaction that stores them (`nil`: none).
    ///
    /// When a batch holds more finished activations of one function than `rowsPerFunction` (a
    /// function called faster than the cap per flush interval), the trim after the insert deletes
    /// every stored finished record of it, then the batch's oldest finished ones beyond the cap.
    /// Among those, the only record of a synchronous activation can be left out instead of inserted
    /// and deleted, provided no record of its id is stored already (the caller checks): then nothing
    /// of that activation would remain either way. Async activations and ids recorded more than once
    /// are written and trimmed as usual. The table ends the same; "oldest" is the order recorded.
    static func recordsTrimmedAtOnce(_ records: [ActivationRecord], rowsPerFunction cap: Int) -> [Bool]? {
        // Cheap first look: final records per function bound the finished rows the batch leaves.
        var finalRecords: [String: Int] = [:]
        for record in records where record.status.isFinal { finalRecords[record.function, default: 0] += 1 }
        guard finalRecords.values.contains(where: { $0 > cap }) else { return nil }

        // The record an id ends with is its last; the batch leaves one row per id.
        var occurrences: [String: Int] = [:]
        occurrences.reserveCapacity(records.count)
        var isLast = [Bool](repeating: false, count: records.count)
        var finishedRows: [String: Int] = [:]
        for index in records.indices.reversed() {
            let record = records[index]
            occurrences[record.id, default: 0] += 1
            guard occurrences[record.id] == 1 else { continue }
            isLast[index] = true
            if record.status.isFinal { finishedRows[record.function, default: 0] += 1 }
        }
        var doomed = finishedRows.compactMapValues { $0 > cap ? $0 - cap : nil }
        guard !doomed.isEmpty else { return nil }
        var skippable = [Bool](repeating: false, count: records.count)
        for index in records.indices where isLast[index] && records[index].status.isFinal {
            let record = records[index]
            guard let left = doomed[record.function], left > 0 else { continue }
            doomed[record.function] = left - 1
            skippable[index] = !record.isAsync && occurrences[record.id] == 1
        }
        return skippable
    }

    /// Deletes the oldest finished records beyond the per-function row cap and the total byte cap.
    /// The counts come from `activation_totals`, kept by this store in the transactions that change
    /// `activations`.
    static func trim(_ db: Database, functions: Set<String>, limits: ActivationLimits) throws {
        let finished = "status IN ('succeeded', 'failed', 'dead')"
        var totals = ActivationTotals()
        let countOf = try db.cachedStatement(sql: "SELECT finished FROM activation_totals WHERE function = ?")
        for function in functions {
            let count = try Int.fetchOne(countOf, arguments: [function]) ?? 0
            guard count > limits.rowsPerFunction else { continue }
            let removed = try Int.fetchAll(
                db.cachedStatement(
                    sql: """
                        DELETE FROM activations WHERE rowid IN (SELECT rowid FROM activations WHERE function = ? AND \(finished)
                        ORDER BY created, rowid LIMIT ?) RETURNING bytes
                        """),
                arguments: [function, count - limits.rowsPerFunction])
            totals.add(function: function, finished: -removed.count, bytes: -removed.reduce(0, +))
        }
        try totals.apply(db)
        let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(SUM(bytes), 0) FROM activation_totals")) ?? 0
        guard total > limits.totalBytes else { return }
        var excess = total - limits.totalBytes
        var doomed: [String] = []
        let cursor = try Row.fetchCursor(db, sql: "SELECT id, bytes FROM activations WHERE \(finished) ORDER BY created, rowid")
        while excess > 0, let row = try cursor.next() {
            doomed.append(row["id"])
            excess -= row["bytes"] as Int
        }
        for chunk in stride(from: 0, to: doomed.count, by: 500) {
            let ids = Array(doomed[chunk..<min(chunk + 500, doomed.count)])
            let removed = try Row.fetchAll(
                db, sql: "DELETE FROM activations WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ","))) RETURNING function, bytes",
                arguments: StatementArguments(ids))
            for row in removed { totals.add(function: row["function"], finished: -1, bytes: -(row["bytes"] as Int)) }
        }
        try totals.apply(db)
    }

    public func activation(id: String) throws -> ActivationRecord? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.recordColumns) FROM activations WHERE id = ?", arguments: [id]).map(Self.record)
        }
    }

    public func activations(function: String?, status: ActivationStatus?, limit: Int) throws -> [ActivationRecord] {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let function {
            conditions.append("function = ?")
            arguments.append(function)
        }
        if let status {
            conditions.append("status = ?")
            arguments.append(status.rawValue)
        }
        arguments.append(max(limit, 0))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.recordColumns) FROM activations \(filter) ORDER BY created DESC, rowid DESC LIMIT ?",
                arguments: StatementArguments(arguments)
            ).map(Self.record)
        }
    }

    /// Every column, with the texts a guest can fill (logs, messages) also read as bytes: GRDB reads
    /// TEXT through C strings, which would end them at the first NUL byte.
    static let recordColumns = "*, CAST(logs AS BLOB) AS logs_bytes, CAST(message AS BLOB) AS message_bytes"

    /// A text column read whole, from its `…_bytes` twin.
    private static func text(_ row: Row, _ column: String) -> String? {
        guard let bytes = row[column + "_bytes"] as Data? else {
            return row[column] as String?  // NULL, or a row read without the twin
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func record(_ row: Row) -> ActivationRecord {
        var result: StoredResult?
        if let status = row["result_status"] as Int? {
            let pairs = (row["result_headers"] as String?).flatMap {
                try? JSONDecoder().decode([[String]].self, from: Data($0.utf8))
            } ?? []
            result = StoredResult(
                status: status,
                headers: pairs.compactMap { $0.count == 2 ? HTTPField(name: $0[0], value: $0[1]) : nil },
                body: [UInt8]((row["result_body"] as Data?) ?? Data()))
        }
        return ActivationRecord(
            id: row["id"], function: row["function"], version: row["version"],
            status: ActivationStatus(rawValue: row["status"]) ?? .failed, start: row["start"],
            queueUs: row["queue_us"], initUs: row["init_us"], runUs: row["run_us"],
            exit: (row["exit"] as Int64?).map { Int32(truncatingIfNeeded: $0) }, error: row["error"],
            message: text(row, "message"), logs: text(row, "logs") ?? "", fuelUsed: UInt64(bitPattern: row["fuel_used"] as Int64),
            created: Date(timeIntervalSince1970: row["created"]), result: result,
            isAsync: (row["async"] as Int64? ?? 0) != 0, attempts: row["attempts"] ?? 1,
            trigger: (row["trigger"] as String?).flatMap(ActivationTrigger.init(rawValue:)), node: row["node"],
            history: (row["history"] as String?).flatMap(Self.history) ?? [])
    }

    private static func history(_ json: String) -> [AttemptRecord]? {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode([AttemptRecord].self, from: Data(json.utf8))
    }
}
