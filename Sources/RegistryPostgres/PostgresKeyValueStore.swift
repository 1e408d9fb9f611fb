import Foundation
public import Logging
import NIOCore
import PostgresNIO
import Synchronization
public import Registry
public import Sandbox

/// The key-value stores of a shared registry, in PostgreSQL (`kv`, `kv_stores`).
///
/// Every write is one transaction that first locks its store's `kv_stores` row (an upsert that
/// returns the store's bytes), so writes to one store from every node are serialised: an
/// increment never loses an update and the quota holds cluster-wide. Reads are single statements.
/// Durable at commit (PostgreSQL's `synchronous_commit` as configured, on by default).
public final class PostgresKeyValueStore: KeyValueStore {
    let database: RegistryDatabase
    public let quotaBytes: Int
    private let logger: Logger
    private let closed = Atomic<Bool>(false)

    public init(database: RegistryDatabase, quotaBytes: Int = KeyValueRules.defaultQuotaBytes, logger: Logger) {
        self.database = database
        self.quotaBytes = quotaBytes
        self.logger = logger
    }

    /// Later operations fail with `.unavailable`; the database stays open for the registry's other
    /// stores, which share it.
    public func close() { closed.store(true, ordering: .releasing) }

    // MARK: Reads

    public func get(store: String, key: [UInt8]) throws(KeyValueFailure) -> [UInt8]? {
        try KeyValueRules.check(store: store, key: key)
        let logger = logger
        return try access("read a value") { connection in
            try await Self.value(connection, store, key, lock: false, logger)
        }
    }

    public func keys(store: String, prefix: [UInt8], limit: Int) throws(KeyValueFailure) -> [[UInt8]] {
        try KeyValueRules.checkListing(store: store, prefix: prefix, limit: limit)
        // A range scan in byte order (bytea compares bytewise): [prefix, the prefix's successor).
        let start = ByteBuffer(bytes: prefix)
        let end = SQLiteKeyValueStore.successor(of: prefix).map { ByteBuffer(bytes: $0) }
        let logger = logger
        return try access("list keys") { connection in
            var keys: [[UInt8]] = []
            for try await key in try await connection.query(
                """
                SELECT key FROM kv WHERE store = \(store) AND key >= \(start)
                AND (\(end)::bytea IS NULL OR key < \(end)::bytea) ORDER BY key LIMIT \(limit)
                """, logger: logger
            ).decode(ByteBuffer.self) {
                keys.append(Array(key.readableBytesView))
            }
            return keys
        }
    }

    public func stores() throws(KeyValueFailure) -> [KeyValueStoreInfo] {
        let logger = logger
        return try access("list stores") { connection in
            var stores: [KeyValueStoreInfo] = []
            for try await (store, keys, bytes) in try await connection.query(
                "SELECT store, keys, bytes FROM kv_stores WHERE keys > 0 ORDER BY store", logger: logger
            ).decode((String, Int, Int).self) {
                stores.append(KeyValueStoreInfo(store: store, keys: keys, bytes: bytes))
            }
            return stores
        }
    }

    // MARK: Writes

    public func set(store: String, key: [UInt8], value: [UInt8]) throws(KeyValueFailure) {
        try KeyValueRules.check(store: store, key: key, value: value)
        let quota = quotaBytes
        let logger = logger
        try write("set a value") { connection in
            let used = try await Self.lock(connection, store, logger)
            let old = try await Self.value(connection, store, key, lock: true, logger)
            try await Self.put(connection, store, key, value, old: old, used: used, quota: quota, logger)
        }
    }

    public func delete(store: String, key: [UInt8]) throws(KeyValueFailure) -> Bool {
        try KeyValueRules.check(store: store, key: key)
        let logger = logger
        return try write("delete a value") { connection in
            _ = try await Self.lock(connection, store, logger)
            guard let old = try await Self.value(connection, store, key, lock: true, logger) else { return false }
            try await connection.query(
                "DELETE FROM kv WHERE store = \(store) AND key = \(ByteBuffer(bytes: key))", logger: logger)
            try await Self.account(connection, store, keys: -1, bytes: -(key.count + old.count), logger)
            return true
        }
    }

    public func increment(store: String, key: [UInt8], delta: Int64) throws(KeyValueFailure) -> Int64 {
        try KeyValueRules.check(store: store, key: key)
        let quota = quotaBytes
        let logger = logger
        return try write("increment a value") { connection in
            let used = try await Self.lock(connection, store, logger)
            let old = try await Self.value(connection, store, key, lock: true, logger)
            var current: Int64 = 0
            if let old {
                guard let number = SQLiteKeyValueStore.integer(old) else {
                    throw KeyValueFailure.invalid("the value is not a decimal integer")
                }
                current = number
            }
            let (sum, overflow) = current.addingReportingOverflow(delta)
            guard !overflow else { throw KeyValueFailure.invalid("the sum does not fit in a 64-bit integer") }
            try await Self.put(connection, store, key, Array(String(sum).utf8), old: old, used: used, quota: quota, logger)
            return sum
        }
    }

    public func compareAndSwap(store: String, key: [UInt8], expected: [UInt8]?, value: [UInt8]) throws(KeyValueFailure)
        -> Bool
    {
        try KeyValueRules.check(store: store, key: key, value: value)
        let quota = quotaBytes
        let logger = logger
        return try write("swap a value") { connection in
            let used = try await Self.lock(connection, store, logger)
            let old = try await Self.value(connection, store, key, lock: true, logger)
            guard old == expected else { return false }
            try await Self.put(connection, store, key, value, old: old, used: used, quota: quota, logger)
            return true
        }
    }

    // MARK: Statements

    /// Locks `store`'s row until the transaction ends (creating it empty) and answers its bytes.
    private static func lock(_ connection: PostgresConnection, _ store: String, _ logger: Logger) async throws -> Int {
        var used = 0
        for try await bytes in try await connection.query(
            """
            INSERT INTO kv_stores (store, keys, bytes) VALUES (\(store), 0, 0)
            ON CONFLICT (store) DO UPDATE SET store = excluded.store RETURNING bytes
            """, logger: logger
        ).decode(Int.self) {
            used = bytes
        }
        return used
    }

    private static func value(
        _ connection: PostgresConnection, _ store: String, _ key: [UInt8], lock: Bool, _ logger: Logger
    ) async throws -> [UInt8]? {
        var found: [UInt8]?
        for try await value in try await connection.query(
            "SELECT value FROM kv WHERE store = \(store) AND key = \(ByteBuffer(bytes: key))", logger: logger
        ).decode(ByteBuffer.self) {
            found = Array(value.readableBytesView)
        }
        return found
    }

    /// Stores `value`, keeping the accounting and the quota (a write that does not grow the store
    /// always passes).
    private static func put(
        _ connection: PostgresConnection, _ store: String, _ key: [UInt8], _ value: [UInt8], old: [UInt8]?, used: Int,
        quota: Int, _ logger: Logger
    ) async throws {
        let growth = value.count - (old?.count ?? -key.count)
        if growth > 0, used + growth > quota {
            throw KeyValueFailure.quota(
                "store \(store) holds \(used) bytes; this write would pass its quota of \(quota) bytes")
        }
        try await connection.query(
            """
            INSERT INTO kv (store, key, value) VALUES (\(store), \(ByteBuffer(bytes: key)), \(ByteBuffer(bytes: value)))
            ON CONFLICT (store, key) DO UPDATE SET value = excluded.value
            """, logger: logger)
        try await account(connection, store, keys: old == nil ? 1 : 0, bytes: growth, logger)
    }

    private static func account(
        _ connection: PostgresConnection, _ store: String, keys: Int, bytes: Int, _ logger: Logger
    ) async throws {
        guard keys != 0 || bytes != 0 else { return }
        try await connection.query(
            "UPDATE kv_stores SET keys = keys + \(keys), bytes = bytes + \(bytes) WHERE store = \(store)", logger: logger)
    }

    // MARK: Access

    private func access<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) throws(KeyValueFailure) -> T {
        guard !closed.load(ordering: .acquiring) else { throw .unavailable("key-value store is closed") }
        do {
            return try database.blocking(what, body)
        } catch {
            throw .unavailable("key-value database: \(error.message)")
        }
    }

    private func write<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) throws(KeyValueFailure) -> T {
        guard !closed.load(ordering: .acquiring) else { throw .unavailable("key-value store is closed") }
        // A refusal (quota, not an integer) thrown inside rolls the transaction back and is passed on.
        let refusal = RefusalBox()
        do {
            return try database.blocking(what, transaction: true) { connection in
                do {
                    return try await body(connection)
                } catch let failure as KeyValueFailure {
                    refusal.set(failure)
                    throw failure
                }
            }
        } catch {
            if let failure = refusal.get() { throw failure }
            throw .unavailable("key-value database: \(error.message)")
        }
    }
}

/// The refusal a write's transaction ended with, carried past the database's error mapping.
private final class RefusalBox: @unchecked Sendable {
    private let lock = NSLock()
    private var failure: KeyValueFailure?
    func set(_ failure: KeyValueFailure) { lock.withLock { self.failure = failure } }
    func get() -> KeyValueFailure? { lock.withLock { failure } }
}
