import Foundation
import Registry
import RegistryPostgres
import Sandbox
import Synchronization
import Testing

/// One backend of the key-value stores, opened fresh for a test.
enum KeyValueBackend: Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    /// Every backend; a new one joins here and runs the whole suite.
    static let all: [KeyValueBackend] = [.sqlite, .postgres]

    var description: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }

    /// A fresh, empty store with `quotaBytes` per store.
    func open(quotaBytes: Int = KeyValueRules.defaultQuotaBytes) throws -> OpenedKeyValueStore {
        switch self {
        case .sqlite:
            let folder = try TemporaryDirectory()
            let path = folder.path + "/kv.sqlite"
            return OpenedKeyValueStore(
                store: try SQLiteKeyValueStore(path: path, quotaBytes: quotaBytes),
                reopen: { try SQLiteKeyValueStore(path: path, quotaBytes: quotaBytes) },
                remove: { folder.remove() })
        case .postgres:
            let database = try TestRegistryDatabase()
            return OpenedKeyValueStore(
                store: PostgresKeyValueStore(database: database.database, quotaBytes: quotaBytes, logger: database.logger),
                reopen: {
                    let again = try database.reopen()
                    return PostgresKeyValueStore(database: again, quotaBytes: quotaBytes, logger: database.logger)
                },
                remove: { database.close() })
        }
    }
}

/// A store under test, how to open its data again (as after a restart), and how to delete it.
struct OpenedKeyValueStore: Sendable {
    let store: any KeyValueStore
    let reopen: @Sendable () throws -> any KeyValueStore
    let remove: @Sendable () -> Void

    func close() {
        store.close()
        remove()
    }
}

/// The key-value operations against each backend: round trips, byte order, the integer and
/// compare-and-swap rules, limits and quota, the byte accounting, atomicity and durability.
@Suite struct KeyValueStoreTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func isTooLarge(_ failure: KeyValueFailure?) -> Bool {
        if case .tooLarge = failure { return true }
        return false
    }

    @Test(arguments: KeyValueBackend.all)
    func setGetAndDeleteRoundTrip(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.close() }
        let kv = opened.store
        #expect(try kv.get(store: "s", key: Self.bytes("a")) == nil)
        let value: [UInt8] = [0, 1, 2, 255, 0]
        try kv.set(store: "s", key: Self.bytes("a"), value: value)
        #expect(try kv.get(store: "s", key: Self.bytes("a")) == value)
        #expect(try kv.get(store: "other", key: Self.bytes("a")) == nil, "stores are separate")
        try kv.set(store: "s", key: Self.bytes("a"), value: [])
        #expect(try kv.get(store: "s", key: Self.bytes("a")) == [], "an empty value is a value")
        #expect(try kv.delete(store: "s", key: Self.bytes("a")))
        #expect(try kv.get(store: "s", key: Self.bytes("a")) == nil)
        #expect(try !kv.delete(store: "s", key: Self.bytes("a")), "nothing left to delete")
    }

    @Test(arguments: KeyValueBackend.all)
    func keysComeInByteOrderWithinThePrefix(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.close() }
        let kv = opened.store
        // "é" is C3 A9, "ÿ" C3 BF, "\u{10FFFF}" F4 8F BF BF; "Z" sorts before "a" in bytes.
        let keys = ["b", "a", "ab", "a/b", "Z", "é", "éa", "ÿ", "Ā", "\u{10FFFF}", "\u{10FFFF}x", "aa"]
        for key in keys { try kv.set(store: "s", key: Self.bytes(key), value: [1]) }
        try kv.set(store: "t", key: Self.bytes("a0"), value: [1])
        let all = try kv.keys(store: "s", prefix: [], limit: 100)
        #expect(all == keys.map(Self.bytes).sorted { $0.lexicographicallyPrecedes($1) })
        #expect(
            try kv.keys(store: "s", prefix: Self.bytes("a"), limit: 100) == ["a", "a/b", "aa", "ab"].map(Self.bytes))
        #expect(try kv.keys(store: "s", prefix: Self.bytes("a"), limit: 2) == ["a", "a/b"].map(Self.bytes))
        #expect(try kv.keys(store: "s", prefix: Self.bytes("a"), limit: 0) == [])
        #expect(try kv.keys(store: "s", prefix: Self.bytes("é"), limit: 100) == ["é", "éa"].map(Self.bytes))
        // Prefixes ending in high bytes: the end of the range carries into earlier bytes
        // ("ÿ" is C3 BF, "Ā" C4 80), and a prefix ending in 0xFF ends before the next lead byte.
        #expect(try kv.keys(store: "s", prefix: [0xC3], limit: 100) == ["é", "éa", "ÿ"].map(Self.bytes))
        #expect(try kv.keys(store: "s", prefix: [0xC3, 0xBF], limit: 100) == ["ÿ"].map(Self.bytes))
        #expect(try kv.keys(store: "s", prefix: [0xC3, 0xFF], limit: 100) == [])
        #expect(
            try kv.keys(store: "s", prefix: Self.bytes("\u{10FFFF}"), limit: 100)
                == ["\u{10FFFF}", "\u{10FFFF}x"].map(Self.bytes))
        #expect(try kv.keys(store: "s", prefix: [0xF4, 0x8F, 0xBF], limit: 100).count == 2)
        #expect(try kv.keys(store: "s", prefix: [0xFF], limit: 100) == [])
        #expect(try kv.keys(store: "s", prefix: [0xC3, 0xFF, 0xFF], limit: 100) == [])
        #expect(try kv.keys(store: "s", prefix: Self.bytes("q"), limit: 100) == [])
        #expect(try kv.keys(store: "none", prefix: [], limit: 100) == [])
        #expect(throws: KeyValueFailure.self) {
            try kv.keys(store: "s", prefix: [], limit: KeyValueRules.maxListLimit + 1)
        }
        #expect(throws: KeyValueFailure.self) { try kv.keys(store: "s", prefix: [], limit: -1) }
        #expect(throws: KeyValueFailure.self) { try kv.keys(store: "Bad", prefix: [], limit: 1) }
    }

    @Test(arguments: KeyValueBackend.all)
    func incrementAddsToADecimalInteger(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.close() }
        let kv = opened.store
        #expect(try kv.increment(store: "s", key: Self.bytes("n"), delta: 5) == 5, "absent is 0")
        #expect(try kv.increment(store: "s", key: Self.bytes("n"), delta: -7) == -2)
        #expect(try kv.get(store: "s", key: Self.bytes("n")) == Self.bytes("-2"), "stored as decimal text")
        try kv.set(store: "s", key: Self.bytes("m"), value: Self.bytes("-40"))
        #expect(try kv.increment(store: "s", key: Self.bytes("m"), delta: 0) == -40)
        for bad in ["", "x", "1.5", " 1", "+1", "-", "1e3", "١"] {
            try kv.set(store: "s", key: Self.bytes("bad"), value: Self.bytes(bad))
            #expect(throws: KeyValueFailure.invalid("the value is not a decimal integer"), "'\(bad)'") {
                try kv.increment(store: "s", key: Self.bytes("bad"), delta: 1)
            }
            #expect(try kv.get(store: "s", key: Self.bytes("bad")) == Self.bytes(bad), "unchanged")
        }
        try kv.set(store: "s", key: Self.bytes("big"), value: Self.bytes(String(Int64.max)))
        #expect(throws: KeyValueFailure.self) { try kv.increment(store: "s", key: Self.bytes("big"), delta: 1) }
        #expect(try kv.get(store: "s", key: Self.bytes("big")) == Self.bytes(String(Int64.max)))
        try kv.set(store: "s", key: Self.bytes("huge"), value: Self.bytes("99999999999999999999"))
        #expect(throws: KeyValueFailure.self) { try kv.increment(store: "s", key: Self.bytes("huge"), delta: 1) }
        try kv.set(store: "s", key: Self.bytes("low"), value: Self.bytes(String(Int64.min)))
        #expect(try kv.increment(store: "s", key: Self.bytes("low"), delta: 1) == Int64.min + 1)
    }

    @Test(arguments: KeyValueBackend.all)
    func compareAndSwapReplacesOnlyTheExpectedValue(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.close() }
        let kv = opened.store
        let key = Self.bytes("k")
        #expect(try kv.compareAndSwap(store: "s", key: key, expected: nil, value: [1]), "absent as expected")
        #expect(try !kv.compareAndSwap(store: "s", key: key, expected: nil, value: [2]), "no longer absent")
        #expect(try !kv.compareAndSwap(store: "s", key: key, expected: [9], value: [2]), "mismatch")
        #expect(try kv.get(store: "s", key: key) == [1])
        #expect(try kv.compareAndSwap(store: "s", key: key, expected: [1], value: [2]))
        #expect(try kv.get(store: "s", key: key) == [2])
        #expect(try !kv.compareAndSwap(store: "s", key: Self.bytes("other"), expected: [2], value: [3]), "absent")
        #expect(try kv.get(store: "s", key: Self.bytes("other")) == nil)
    }

    @Test(arguments: KeyValueBackend.all)
    func badNamesKeysAndValuesAreRefused(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.close() }
        let kv = opened.store
        let key = Self.bytes("k")
        for store in ["", "Upper", "9lives", "under_score", String(repeating: "a", count: 64)] {
            #expect(throws: KeyValueFailure.self) { try kv.set(store: store, key: key, value: [1]) }
            #expect(throws: KeyValueFailure.self) { try kv.get(store: store, key: key) }
        }
        for bad in [[], [0xFF], [0xC3], [UInt8](repeating: 0x61, count: KeyValueRules.maxKeyBytes + 1)] as [[UInt8]] {
            #expect(throws: KeyValueFailure.self) { try kv.set(store: "s", key: bad, value: [1]) }
            #expect(throws: KeyValueFailure.self) { try kv.get(store: "s", key: bad) }
            #expect(throws: KeyValueFailure.self) { try kv.delete(store: "s", key: bad) }
            #expect(throws: KeyValueFailure.self) { try kv.increment(store: "s", key: bad, delta: 1) }
            #expect(throws: KeyValueFailure.self) {
                try kv.compareAndSwap(store: "s", key: bad, expected: nil, value: [])
            }
        }
        let longest = [UInt8](repeating: 0x61, count: KeyValueRules.maxKeyBytes)
        try kv.set(store: "s", key: longest, value: [1])
        #expect(try kv.get(store: "s", key: longest) == [1])

        let largest = [UInt8](repeating: 7, count: KeyValueRules.maxValueBytes)
        try kv.set(store: "s", key: key, value: largest)
        #expect(try kv.get(store: "s", key: key) == largest)
        let tooLarge = largest + [7]
        let setFailure = #expect(throws: KeyValueFailure.self) { try kv.set(store: "s", key: key, value: tooLarge) }
        #expect(Self.isTooLarge(setFailure))
        let swapFailure = #expect(throws: KeyValueFailure.self) {
            try kv.compareAndSwap(store: "s", key: key, expected: largest, value: tooLarge)
        }
        #expect(Self.isTooLarge(swapFailure))
        #expect(try kv.get(store: "s", key: key) == largest)
    }

    @Test(arguments: KeyValueBackend.all)
    func theQuotaCountsKeysAndValuesUpToItsExactBoundary(backend: KeyValueBackend) throws {
        let opened = try backend.open(quotaBytes: 100)
        defer { opened.close() }
        let kv = opened.store
        try kv.set(store: "s", key: Self.bytes("a"), value: [UInt8](repeating: 1, count: 59))  // 60
        try kv.set(store: "s", key: Self.bytes("b"), value: [UInt8](repeating: 1, count: 39))  // 100: exactly the quota
        #expect(try kv.stores() == [KeyValueStoreInfo(store: "s", keys: 2, bytes: 100)])
        let growing: [(String, () throws(KeyValueFailure) -> Void)] = [
            ("a new empty value", { () throws(KeyValueFailure) in
                try kv.set(store: "s", key: Self.bytes("c"), value: [])
            }),
            ("a longer value", { () throws(KeyValueFailure) in
                try kv.set(store: "s", key: Self.bytes("a"), value: [UInt8](repeating: 1, count: 60))
            }),
            ("a new counter", { () throws(KeyValueFailure) in
                _ = try kv.increment(store: "s", key: Self.bytes("n"), delta: 1)
            }),
            ("a swap into a new key", { () throws(KeyValueFailure) in
                _ = try kv.compareAndSwap(store: "s", key: Self.bytes("c"), expected: nil, value: [1])
            }),
        ]
        for (what, write) in growing {
            let failure = #expect(throws: KeyValueFailure.self, "\(what)") { try write() }
            guard case .quota(let message) = failure else {
                Issue.record("\(what): \(String(describing: failure)) is not a quota failure")
                continue
            }
            #expect(message.contains("100"), "the message names the quota: \(message)")
        }
        #expect(try kv.get(store: "s", key: Self.bytes("c")) == nil)
        // Writes that keep or shrink the store pass at the quota.
        try kv.set(store: "s", key: Self.bytes("a"), value: [UInt8](repeating: 2, count: 59))
        try kv.set(store: "s", key: Self.bytes("a"), value: [UInt8](repeating: 2, count: 10))
        #expect(try kv.stores() == [KeyValueStoreInfo(store: "s", keys: 2, bytes: 51)])
        try kv.set(store: "t", key: Self.bytes("a"), value: [UInt8](repeating: 1, count: 99))
        #expect(try kv.stores().map(\.bytes) == [51, 100], "each store has its own quota")
        #expect(try kv.delete(store: "s", key: Self.bytes("b")))
        try kv.set(store: "s", key: Self.bytes("c"), value: [UInt8](repeating: 1, count: 88))  // 11 + 89 = 100
        #expect(try kv.stores().first == KeyValueStoreInfo(store: "s", keys: 2, bytes: 100))
    }

    @Test(arguments: KeyValueBackend.all)
    func storesCountKeysAndBytesExactlyAfterMixedOperations(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.close() }
        let kv = opened.store
        #expect(try kv.stores() == [])
        try kv.set(store: "b", key: Self.bytes("one"), value: Self.bytes("12345"))  // 8
        try kv.set(store: "b", key: Self.bytes("two"), value: [])  // 3
        try kv.set(store: "b", key: Self.bytes("one"), value: Self.bytes("1"))  // 4
        #expect(try kv.increment(store: "b", key: Self.bytes("n"), delta: 100) == 100)  // 4
        #expect(try kv.increment(store: "b", key: Self.bytes("n"), delta: -95) == 5)  // 2
        #expect(try kv.compareAndSwap(store: "b", key: Self.bytes("é"), expected: nil, value: [1, 2]))  // 4
        #expect(try !kv.compareAndSwap(store: "b", key: Self.bytes("é"), expected: [9], value: [1, 2, 3, 4, 5]))
        #expect(try kv.compareAndSwap(store: "b", key: Self.bytes("é"), expected: [1, 2], value: [1]))  // 3
        try kv.set(store: "a", key: Self.bytes("x"), value: [1])
        #expect(try kv.delete(store: "a", key: Self.bytes("x")))
        #expect(try !kv.delete(store: "b", key: Self.bytes("absent")))
        #expect(throws: KeyValueFailure.self) { try kv.increment(store: "b", key: Self.bytes("one"), delta: Int64.max) }
        #expect(throws: KeyValueFailure.self) { try kv.increment(store: "b", key: Self.bytes("two"), delta: 1) }
        try kv.set(store: "c", key: Self.bytes("k"), value: [1])
        let expected = [
            KeyValueStoreInfo(store: "b", keys: 4, bytes: 4 + 3 + 2 + 3),
            KeyValueStoreInfo(store: "c", keys: 1, bytes: 2),
        ]
        #expect(try kv.stores() == expected, "a store whose last key went is gone")
        var total = 0
        for key in try kv.keys(store: "b", prefix: [], limit: 100) {
            total += key.count + (try kv.get(store: "b", key: key)?.count ?? 0)
        }
        #expect(total == expected[0].bytes)
        for key in try kv.keys(store: "c", prefix: [], limit: 100) { _ = try kv.delete(store: "c", key: key) }
        #expect(try kv.stores() == [expected[0]])
    }

    @Test(arguments: KeyValueBackend.all)
    func concurrentIncrementsAreAtomic(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.close() }
        let kv = opened.store
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<200 {
                do {
                    _ = try kv.increment(store: "s", key: Self.bytes("hits"), delta: 1)
                } catch {
                    failures.add(error)
                }
            }
        }
        #expect(failures.count == 0)
        #expect(try kv.get(store: "s", key: Self.bytes("hits")) == Self.bytes("3200"))
        #expect(try kv.stores() == [KeyValueStoreInfo(store: "s", keys: 1, bytes: 8)])
    }

    @Test(arguments: KeyValueBackend.all)
    func concurrentSwapsLetExactlyOneWriterWinEachRound(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.close() }
        let kv = opened.store
        let wins = Failures()
        try kv.set(store: "s", key: Self.bytes("token"), value: Self.bytes("0"))
        for round in 0..<20 {
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                let swapped = try? kv.compareAndSwap(
                    store: "s", key: Self.bytes("token"), expected: Self.bytes(String(round)),
                    value: Self.bytes(String(round + 1)))
                if swapped == true { wins.add(CancellationError()) }
            }
        }
        #expect(wins.count == 20)
        #expect(try kv.get(store: "s", key: Self.bytes("token")) == Self.bytes("20"))
    }

    @Test(arguments: KeyValueBackend.all)
    func whatWasWrittenIsThereAfterReopening(backend: KeyValueBackend) throws {
        let opened = try backend.open()
        defer { opened.remove() }
        let kv = opened.store
        try kv.set(store: "s", key: Self.bytes("a"), value: [1, 2, 3])
        _ = try kv.increment(store: "s", key: Self.bytes("n"), delta: 41)
        try kv.set(store: "s", key: Self.bytes("gone"), value: [1])
        _ = try kv.delete(store: "s", key: Self.bytes("gone"))
        kv.close()
        #expect(throws: KeyValueFailure.self, "closed") { try kv.set(store: "s", key: Self.bytes("b"), value: [1]) }

        let again = try opened.reopen()
        defer { again.close() }
        #expect(try again.get(store: "s", key: Self.bytes("a")) == [1, 2, 3])
        #expect(try again.increment(store: "s", key: Self.bytes("n"), delta: 1) == 42)
        #expect(try again.get(store: "s", key: Self.bytes("gone")) == nil)
        #expect(try again.stores() == [KeyValueStoreInfo(store: "s", keys: 2, bytes: 1 + 3 + 1 + 2)])
    }
}

/// Errors gathered from many threads.
private final class Failures: Sendable {
    private let errors = Mutex<[String]>([])

    func add(_ error: any Error) { errors.withLock { $0.append("\(error)") } }
    var count: Int { errors.withLock { $0.count } }
}
