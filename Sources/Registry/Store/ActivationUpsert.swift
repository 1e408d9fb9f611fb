import Foundation
import GRDB
import GRDBSQLite
import Sandbox

/// The activation upsert of one write transaction, as raw SQLite statements bound field by field.
///
/// The writer stores thousands of rows a second; through GRDB's `execute(arguments:)` each row built
/// an array of 18 `DatabaseValue`s and validated it, which cost more than SQLite's own work on the
/// row. Here each row is `sqlite3_bind_*` straight from the record's fields, `sqlite3_step`, then
/// `sqlite3_reset`. A new id (every synchronous invocation) is one `INSERT`; an id already stored (an
/// asynchronous activation moving on) reads the old row's function, status and bytes, then updates
/// it, so ``ActivationTotals`` can follow both. Statements are prepared once per transaction and
/// finalized with this object, before the transaction ends. Used only inside a GRDB write on `db`'s
/// thread.
final class ActivationUpsert {
    private let connection: OpaquePointer
    private let insert: OpaquePointer
    /// Prepared at the first id already stored.
    private var replace: (previous: OpaquePointer, update: OpaquePointer)?
    /// Prepared at the first ``isStored(id:)``.
    private var probe: OpaquePointer?
    /// SQLite copies a value bound with this destructor (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    /// Where an empty text or blob points: with a null pointer SQLite would store NULL instead.
    private static var empty: UnsafePointer<UInt8> { ("" as StaticString).utf8Start }

    /// Prepares the insert on `db`'s connection.
    init(_ db: Database) throws {
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database connection is closed")
        }
        self.connection = connection
        insert = try Self.prepare(Self.insertSQL, connection)
    }

    deinit {
        sqlite3_finalize(insert)
        if let probe { sqlite3_finalize(probe) }
        if let replace {
            sqlite3_finalize(replace.previous)
            sqlite3_finalize(replace.update)
        }
    }

    /// Turns the history of a record into its stored JSON (one encoder per transaction).
    private lazy var encoder = Self.historyEncoder()

    /// Inserts `record`, or replaces the stored record of its id, and counts the change in `totals`.
    func execute(_ record: ActivationRecord, totals: inout ActivationTotals) throws {
        try bindAndStep(insert, record)
        if sqlite3_changes(connection) == 1 {
            totals.add(record)
            return
        }
        // The id is stored already.
        let replace = try self.replace ?? (Self.prepare(Self.previousSQL, connection), Self.prepare(Self.updateSQL, connection))
        self.replace = replace
        let previous = try row(replace.previous, id: record.id, sql: Self.previousSQL) { statement in
            (function: sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "",
             status: sqlite3_column_text(statement, 1).map { String(cString: $0) } ?? "",
             bytes: Int(sqlite3_column_int64(statement, 2)))
        }
        guard let previous else { throw Self.error(sqlite3_errcode(connection), connection) }
        try bindAndStep(replace.update, record)
        if ActivationStatus(rawValue: previous.status)?.isFinal == true {
            totals.add(function: previous.function, finished: -1, bytes: -previous.bytes)
        }
        totals.add(record)
    }

    /// Whether a record of `id` is stored.
    func isStored(id: String) throws -> Bool {
        let probe = try self.probe ?? Self.prepare(Self.storedSQL, connection)
        self.probe = probe
        return try row(probe, id: id, sql: Self.storedSQL) { _ in () } != nil
    }

    /// Steps `statement`, a lookup by id (`?1`), for `id`: `read` of its row, or `nil` when no row has it.
    private func row<Row>(
        _ statement: OpaquePointer, id: String, sql: String, _ read: (OpaquePointer) -> Row
    ) throws -> Row? {
        defer { sqlite3_reset(statement) }
        try bind(statement, 1, id)
        let code = sqlite3_step(statement)
        switch code {
        case SQLITE_ROW: return read(statement)
        case SQLITE_DONE: return nil
        default: throw Self.error(code, connection, sql: sql)
        }
    }

    static let storedSQL = "SELECT 1 FROM activations WHERE id = ?1"

    /// A new activation row; nothing when its id is stored already (`sqlite3_changes` tells which).
    static let insertSQL = """
        INSERT INTO activations (id, function, version, status, start, queue_us, init_us, run_us, exit,
            error, message, logs, fuel_used, created, result_status, result_headers, result_body, bytes, async,
            attempts, trigger, node, history)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)
        ON CONFLICT(id) DO NOTHING
        """

    static let previousSQL = "SELECT function, status, bytes FROM activations WHERE id = ?1"

    /// The later record of a stored id (queued -> running -> final), with the insert's parameter numbers.
    static let updateSQL = """
        UPDATE activations SET function = ?2, version = ?3, status = ?4, start = ?5, queue_us = ?6,
            init_us = ?7, run_us = ?8, exit = ?9, error = ?10, message = ?11, logs = ?12, fuel_used = ?13,
            created = ?14, result_status = ?15, result_headers = ?16, result_body = ?17, bytes = ?18, async = ?19,
            attempts = ?20, trigger = ?21, node = ?22, history = ?23
        WHERE id = ?1
        """

    private static func prepare(_ sql: String, _ connection: OpaquePointer) throws -> OpaquePointer {
        var prepared: OpaquePointer?
        let code = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard code == SQLITE_OK, let prepared else {
            sqlite3_finalize(prepared)
            throw error(code, connection, sql: sql)
        }
        return prepared
    }

    /// Binds every field of `record` to `statement` (parameters 1...23) and runs it.
    private func bindAndStep(_ statement: OpaquePointer, _ record: ActivationRecord) throws {
        defer { sqlite3_reset(statement) }
        try bind(statement, 1, record.id)
        try bind(statement, 2, record.function)
        try bind(statement, 3, Int64(record.version))
        try bind(statement, 4, record.status.rawValue)
        try bind(statement, 5, record.start)
        try bind(statement, 6, record.queueUs)
        try bind(statement, 7, record.initUs)
        try bind(statement, 8, record.runUs)
        try bind(statement, 9, record.exit.map { Int64($0) })
        try bind(statement, 10, record.error)
        try bind(statement, 11, record.message)
        try bind(statement, 12, record.logs)
        try bind(statement, 13, Int64(bitPattern: record.fuelUsed))
        try check(sqlite3_bind_double(statement, 14, record.created.timeIntervalSince1970))
        if let result = record.result {
            try bind(statement, 15, Int64(result.status))
            try bind(statement, 16, Self.headersJSON(result.headers))
            try check(
                result.body.withUnsafeBytes { bytes in
                    sqlite3_bind_blob64(
                        statement, 17, bytes.baseAddress ?? UnsafeRawPointer(Self.empty), UInt64(bytes.count), Self.transient)
                })
        } else {
            for index: Int32 in 15...17 { try check(sqlite3_bind_null(statement, index)) }
        }
        try bind(statement, 18, Int64(record.storedBytes))
        try bind(statement, 19, Int64(record.isAsync ? 1 : 0))
        try bind(statement, 20, Int64(record.attempts))
        try bind(statement, 21, record.trigger.rawValue)
        try bind(statement, 22, record.node)
        try bind(statement, 23, record.history.isEmpty ? nil : Self.historyJSON(record.history, encoder: encoder))
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw Self.error(code, connection, sql: sqlite3_sql(statement).map { String(cString: $0) } ?? "")
        }
    }

    /// The stored form of an async activation's attempts.
    static func historyJSON(_ history: [AttemptRecord], encoder: JSONEncoder = historyEncoder()) -> String {
        guard !history.isEmpty else { return "[]" }
        return String(decoding: (try? encoder.encode(history)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// The coders of the stored history (dates as seconds since 1970).
    static func historyEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }

    static func historyDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }

    /// `[[name, value], …]`, the stored form of a result's headers.
    static func headersJSON(_ headers: [HTTPField], encoder: JSONEncoder = JSONEncoder()) -> String {
        String(decoding: (try? encoder.encode(headers.map { [$0.name, $0.value] })) ?? Data("[]".utf8), as: UTF8.self)
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(statement, index, value))
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64?) throws {
        guard let value else { return try check(sqlite3_bind_null(statement, index)) }
        try bind(statement, index, value)
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String) throws {
        var text = text
        try check(
            text.withUTF8 { bytes in
                let start = UnsafeRawPointer(bytes.baseAddress ?? Self.empty).assumingMemoryBound(to: CChar.self)
                return sqlite3_bind_text64(statement, index, start, UInt64(bytes.count), Self.transient, UInt8(SQLITE_UTF8))
            })
    }

    private func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String?) throws {
        guard let text else { return try check(sqlite3_bind_null(statement, index)) }
        try bind(statement, index, text)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw Self.error(code, connection) }
    }

    private static func error(_ code: Int32, _ connection: OpaquePointer, sql: String = insertSQL) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }
}
