import GRDB

/// Changes to the `activation_totals` table (finished records and their bytes per function) gathered
/// during one write transaction, then applied in it.
struct ActivationTotals {
    private var changes: [String: (finished: Int, bytes: Int)] = [:]

    /// Counts `record` in, when it is finished.
    mutating func add(_ record: ActivationRecord) {
        guard record.status.isFinal else { return }
        add(function: record.function, finished: 1, bytes: record.storedBytes)
    }

    mutating func add(function: String, finished: Int, bytes: Int) {
        changes[function, default: (0, 0)].finished += finished
        changes[function, default: (0, 0)].bytes += bytes
    }

    /// Adds `other`'s changes to these.
    mutating func merge(_ other: ActivationTotals) {
        for (function, change) in other.changes { add(function: function, finished: change.finished, bytes: change.bytes) }
    }

    /// Writes the gathered changes and forgets them.
    mutating func apply(_ db: Database) throws {
        guard !changes.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO activation_totals (function, finished, bytes) VALUES (?, ?, ?)
                ON CONFLICT(function) DO UPDATE SET finished = finished + excluded.finished, bytes = bytes + excluded.bytes
                """)
        for (function, change) in changes where change != (0, 0) {
            try statement.execute(arguments: [function, change.finished, change.bytes])
        }
        changes = [:]
    }
}
