import Foundation
import GRDB
public import Sandbox

/// The key-value stores in `kv.sqlite` beside `registry.sqlite` (WAL, `synchronous = FULL`).
///
/// Reads run on the calling thread from the pool's readers. Writes go through one group-commit
/// thread (``GroupCommit``): under load one fsync makes a whole batch durable, and a caller
/// returns only after the commit of its write. `kv_stores` keeps each store's key count and bytes
/// (keys plus values) in the same transaction as every write, for the quota and for `GET /kv`.
/// A file of its own: its writes never wait behind the registry's (deploys, the async queue).
public final class SQLiteKeyValueStore: KeyValueStore {
    private let database: DatabasePool
    private let writer: GroupCommit<Void>
    /// The most bytes of keys and values one store may hold.
    public let quotaBytes: Int

    /// Opens (creating and migrating if needed) the database at `path` and starts its writer thread.
    /// - Parameters:
    ///   - path: the database file, `kv.sqlite` in the data folder.
    ///   - quotaBytes: the most bytes of keys and values one store may hold (`faas serve --kv-quota`).
    /// - Throws: `RegistryError` (`unavailable`) when the file cannot be opened or migrated.
    public init(path: String, quotaBytes: Int = KeyValueRules.defaultQuotaBytes) throws(RegistryError) {
        database = try DurableDatabase.open(path: path, migrator: Self.migrator, what: "key-value")
        self.quotaBytes = quotaBytes
        writer = GroupCommit(
            database: database, threadName: "faas-kv-writer", makeContext: { _ in () }, finish: { _, _ in })
    }

    deinit { writer.stop(wait: false) }

    /// Commits what was submitted, stops the writer thread and closes the database; later
    /// operations fail with `.unavailable`.
    public func close() {
        writer.stop(wait: true)
        try? database.close()
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: stores") { db in
            try db.execute(
                sql: """
                    CREATE TABLE kv (store TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
                                     PRIMARY KEY (store, key)) WITHOUT ROWID;
                    CREATE TABLE kv_stores (store TEXT PRIMARY KEY NOT NULL, keys INTEGER NOT NULL,
                                            bytes INTEGER NOT NULL) WITHOUT ROWID;
                    """)
        }
        return migrator
    }

    // MARK: Reads

    public func get(store: String, key: [UInt8]) throws(KeyValueFailure) -> [UInt8]? {
        try KeyValueRules.check(store: store, key: key)
        return try read("read a value") { db in try Self.value(db, store, key) }
    }

    public func keys(store: String, prefix: [UInt8], limit: Int) throws(KeyValueFailure) -> [[UInt8]] {
        try KeyValueRules.checkListing(store: store, prefix: prefix, limit: limit)
        return try read("list keys") { db in
            // A range scan in byte order: [prefix, the prefix's successor).
            var arguments: StatementArguments = [store, Data(prefix)]
            var sql = "SELECT key FROM kv WHERE store = ? AND key >= ?"
            if let end = Self.successor(of: prefix) {
                sql += " AND key < ?"
                arguments += [Data(end)]
            }
            sql += " ORDER BY key LIMIT ?"
            arguments += [limit]
            return try Data.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map { [UInt8]($0) }
        }
    }

    public func stores() throws(KeyValueFailure) -> [KeyValueStoreInfo] {
        try read("list stores") { db in
            try Row.fetchAll(db, sql: "SELECT store, keys, bytes FROM kv_stores ORDER BY store").map {
                KeyValueStoreInfo(store: $0["store"], keys: $0["keys"], bytes: $0["bytes"])
            }
        }
    }

    // MARK: Writes

    public func set(store: String, key: [UInt8], value: [UInt8]) throws(KeyValueFailure) {
        try KeyValueRules.check(store: store, key: key, value: value)
        try write("set a value") { db in
            try self.put(db, store: store, key: key, value: value, old: try Self.value(db, store, key))
        }
    }

    public func delete(store: String, key: [UInt8]) throws(KeyValueFailure) -> Bool {
        try KeyValueRules.check(store: store, key: key)
        return try write("delete a value") { db in
            guard let old = try Self.value(db, store, key) else { return false }
            try db.cachedStatement(sql: "DELETE FROM kv WHERE store = ? AND key = ?")
                .execute(arguments: [store, Data(key)])
            try Self.account(db, store: store, keys: -1, bytes: -(key.count + old.count))
            return true
        }
    }

    public func increment(store: String, key: [UInt8], delta: Int64) throws(KeyValueFailure) -> Int64 {
        try KeyValueRules.check(store: store, key: key)
        return try write("increment a value") { db in
            let old = try Self.value(db, store, key)
            var current: Int64 = 0
            if let old {
                guard let number = Self.integer(old) else {
                    throw KeyValueFailure.invalid("the value is not a decimal integer")
                }
                current = number
            }
            let (sum, overflow) = current.addingReportingOverflow(delta)
            guard !overflow else { throw KeyValueFailure.invalid("the sum does not fit in a 64-bit integer") }
            try self.put(db, store: store, key: key, value: Array(String(sum).utf8), old: old)
            return sum
        }
    }

    public func compareAndSwap(store: String, key: [UInt8], expected: [UInt8]?, value: [UInt8]) throws(KeyValueFailure)
        -> Bool
    {
        try KeyValueRules.check(store: store, key: key, value: value)
        return try write("swap a value") { db in
            let old = try Self.value(db, store, key)
            guard old == expected else { return false }
            try self.put(db, store: store, key: key, value: value, old: old)
            return true
        }
    }

    /// Stores `value`, keeping the accounting and the quota (a write that does not grow the store
    /// always passes).
    private func put(_ db: Database, store: String, key: [UInt8], value: [UInt8], old: [UInt8]?) throws {
        let growth = value.count - (old?.count ?? -key.count)
        if growth > 0 {
            let used = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT bytes FROM kv_stores WHERE store = ?"), arguments: [store]) ?? 0
            guard used + growth <= quotaBytes else {
                throw KeyValueFailure.quota(
                    "store \(store) holds \(used) bytes; this write would pass its quota of \(quotaBytes) bytes")
            }
        }
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO kv (store, key, value) VALUES (?, ?, ?)")
            .execute(arguments: [store, Data(key), Data(value)])
        try Self.account(db, store: store, keys: old == nil ? 1 : 0, bytes: growth)
    }

    private static func value(_ db: Database, _ store: String, _ key: [UInt8]) throws -> [UInt8]? {
        try Data.fetchOne(
            db.cachedStatement(sql: "SELECT value FROM kv WHERE store = ? AND key = ?"), arguments: [store, Data(key)]
        ).map { [UInt8]($0) }
    }

    private static func account(_ db: Database, store: String, keys: Int, bytes: Int) throws {
        guard keys != 0 || bytes != 0 else { return }
        try db.cachedStatement(
            sql: """
                INSERT INTO kv_stores (store, keys, bytes) VALUES (?1, ?2, ?3)
                ON CONFLICT(store) DO UPDATE SET keys = keys + ?2, bytes = bytes + ?3
                """
        ).execute(arguments: [store, keys, bytes])
        try db.cachedStatement(sql: "DELETE FROM kv_stores WHERE store = ? AND keys <= 0").execute(arguments: [store])
    }

    /// An ASCII decimal integer (an optional `-`, digits), or nil.
    public static func integer(_ bytes: [UInt8]) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        let digits = bytes.first == UInt8(ascii: "-") ? bytes.dropFirst() : bytes[...]
        let isDigit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        return Int64(String(decoding: bytes, as: UTF8.self))
    }

    /// The least byte string greater than every string starting with `prefix`; nil when there is
    /// none (empty, or all 0xFF).
    public static func successor(of prefix: [UInt8]) -> [UInt8]? {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return nil
    }

    // MARK: Access

    /// Runs one read on a pooled reader. Each read is a single SELECT, which SQLite runs on one
    /// snapshot by itself, so no `BEGIN … COMMIT` is wrapped around it (a third of a get's time).
    private func read<T>(_ what: String, _ body: (Database) throws -> T) throws(KeyValueFailure) -> T {
        do {
            return try database.unsafeRead(body)
        } catch {
            throw .unavailable("key-value database: cannot \(what): \(error)")
        }
    }

    private func write<T>(_ what: String, _ body: @escaping (Database) throws -> T) throws(KeyValueFailure) -> T {
        do {
            return try writer.performAndWait { db, _ in try body(db) }
        } catch let failure as KeyValueFailure {
            throw failure
        } catch {
            throw .unavailable("key-value database: cannot \(what): \(error)")
        }
    }
}
