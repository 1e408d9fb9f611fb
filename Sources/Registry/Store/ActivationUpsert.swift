import Foundation
import GRDB
import GRDBSQLite
import Sandbox

/// The activation upsert of one write transaction, as a raw SQLite statement bound field by field.
///
/// The writer stores thousands of rows a second; through GRDB's `execute(arguments:)` each row built
/// an array of 18 `DatabaseValue`s and validated it, which cost more than SQLite's own work on the
/// row. Here each row is `sqlite3_bind_*` straight from the record's fields, `sqlite3_step`, then
/// `sqlite3_reset`. The statement is prepared once per transaction and finalized with this object,
/// before the transaction ends. Used only inside a GRDB write on `db`'s thread.
final class ActivationUpsert {
    private let connection: OpaquePointer
    private let statement: OpaquePointer
    /// SQLite copies a value bound with this destructor (`SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    /// Where an empty text or blob points: with a null pointer SQLite would store NULL instead.
    private static var empty: UnsafePointer<UInt8> { ("" as StaticString).utf8Start }

    /// Prepares the upsert on `db`'s connection.
    init(_ db: Database) throws {
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database connection is closed")
        }
        var prepared: OpaquePointer?
        let code = sqlite3_prepare_v3(
            connection, SQLiteFunctionStore.upsertActivation, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard code == SQLITE_OK, let prepared else {
            sqlite3_finalize(prepared)
            throw Self.error(code, connection)
        }
        self.connection = connection
        statement = prepared
    }

    deinit {
        sqlite3_finalize(statement)
    }

    /// Inserts `record`, or replaces the stored record of its id.
    func execute(_ record: ActivationRecord) throws {
        defer { sqlite3_reset(statement) }
        try bind(1, record.id)
        try bind(2, record.function)
        try bind(3, Int64(record.version))
        try bind(4, record.status.rawValue)
        try bind(5, record.start)
        try bind(6, record.queueUs)
        try bind(7, record.initUs)
        try bind(8, record.runUs)
        try bind(9, record.exit.map { Int64($0) })
        try bind(10, record.error)
        try bind(11, record.message)
        try bind(12, record.logs)
        try bind(13, Int64(bitPattern: record.fuelUsed))
        try check(sqlite3_bind_double(statement, 14, record.created.timeIntervalSince1970))
        if let result = record.result {
            try bind(15, Int64(result.status))
            try bind(16, Self.headersJSON(result.headers))
            try check(
                result.body.withUnsafeBytes { bytes in
                    sqlite3_bind_blob64(
                        statement, 17, bytes.baseAddress ?? UnsafeRawPointer(Self.empty), UInt64(bytes.count), Self.transient)
                })
        } else {
            for index: Int32 in 15...17 { try check(sqlite3_bind_null(statement, index)) }
        }
        try bind(18, Int64(record.storedBytes))
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else { throw Self.error(code, connection) }
    }

    /// `[[name, value], …]`, the stored form of a result's headers.
    static func headersJSON(_ headers: [HTTPField]) -> String {
        String(decoding: (try? JSONEncoder().encode(headers.map { [$0.name, $0.value] })) ?? Data("[]".utf8), as: UTF8.self)
    }

    private func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(statement, index, value))
    }

    private func bind(_ index: Int32, _ value: Int64?) throws {
        guard let value else { return try check(sqlite3_bind_null(statement, index)) }
        try bind(index, value)
    }

    private func bind(_ index: Int32, _ text: String) throws {
        var text = text
        try check(
            text.withUTF8 { bytes in
                let start = UnsafeRawPointer(bytes.baseAddress ?? Self.empty).assumingMemoryBound(to: CChar.self)
                return sqlite3_bind_text64(statement, index, start, UInt64(bytes.count), Self.transient, UInt8(SQLITE_UTF8))
            })
    }

    private func bind(_ index: Int32, _ text: String?) throws {
        guard let text else { return try check(sqlite3_bind_null(statement, index)) }
        try bind(index, text)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else { throw Self.error(code, connection) }
    }

    private static func error(_ code: Int32, _ connection: OpaquePointer) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)),
            sql: SQLiteFunctionStore.upsertActivation)
    }
}
