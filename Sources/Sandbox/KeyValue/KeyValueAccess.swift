/// The key-value stores a guest reaches through the `kv_*` hostcalls (SPEC "Key-value stores").
///
/// The monitor checks the grant, the store name, the key and the value size before it calls; an
/// implementation makes each operation atomic, and durable before it returns. Called on the
/// thread that runs the guest, which waits. Keys and values are bytes; keys sort in byte order.
public protocol KeyValueAccess: Sendable {
    /// The value of `key`, or nil when absent.
    func get(store: String, key: [UInt8]) throws(KeyValueFailure) -> [UInt8]?
    func set(store: String, key: [UInt8], value: [UInt8]) throws(KeyValueFailure)
    /// Whether there was a value to delete.
    func delete(store: String, key: [UInt8]) throws(KeyValueFailure) -> Bool
    /// Adds `delta` to the decimal integer stored at `key` (absent = 0) and stores the sum.
    /// - Throws: `.invalid` when the value is not a decimal integer or the sum overflows.
    func increment(store: String, key: [UInt8], delta: Int64) throws(KeyValueFailure) -> Int64
    /// Stores `value` only if the current value equals `expected` (nil: only if absent); whether it did.
    func compareAndSwap(store: String, key: [UInt8], expected: [UInt8]?, value: [UInt8]) throws(KeyValueFailure) -> Bool
    /// The keys beginning with `prefix`, in byte order, at most `limit`.
    func keys(store: String, prefix: [UInt8], limit: Int) throws(KeyValueFailure) -> [[UInt8]]

    /// Counts an operation the monitor refused before calling (`not_granted`, `invalid`,
    /// `too_large`), for metrics. The default does nothing.
    func count(operation: String, result: String)
}

extension KeyValueAccess {
    public func count(operation: String, result: String) {}
}

/// Why a key-value operation did not happen; the guest sees the code, the HTTP API the status.
public enum KeyValueFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// A bad store name or key, or a value `increment` cannot add to (-6, 400).
    case invalid(String)
    /// A value over 1 MiB (-3, 413).
    case tooLarge(String)
    /// The store's quota would be passed (-5, 413).
    case quota(String)
    /// The storage failed (-4, 503).
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalid(let message), .tooLarge(let message), .quota(let message), .unavailable(let message): message
        }
    }

    /// The negative code a guest sees.
    public var guestCode: Int32 {
        switch self {
        case .invalid: -6
        case .tooLarge: -3
        case .quota: -5
        case .unavailable: -4
        }
    }
}

/// The rules store names, keys and values follow, checked by the monitor and by every store.
public enum KeyValueRules {
    public static let maxKeyBytes = 512
    public static let maxValueBytes = 1 << 20
    public static let maxListLimit = 10_000
    /// A store's default quota of key and value bytes (server option `--kv-quota`).
    public static let defaultQuotaBytes = 256 << 20

    /// Store names follow function names: `^[a-z][a-z0-9-]{0,62}$`.
    public static func isValidStore(_ name: String) -> Bool { NameSyntax.isValidName(name) }

    /// Keys are 1–512 bytes of UTF-8.
    public static func isValidKey(_ key: [UInt8]) -> Bool {
        (1...maxKeyBytes).contains(key.count) && String(validating: key, as: UTF8.self) != nil
    }

    /// Checks a store name and key, and a value's size when there is one.
    public static func check(store: String, key: [UInt8], value: [UInt8]? = nil) throws(KeyValueFailure) {
        guard isValidStore(store) else {
            throw .invalid("store name \"\(store)\" must match ^[a-z][a-z0-9-]{0,62}$")
        }
        guard isValidKey(key) else { throw .invalid("a key must be 1 to \(maxKeyBytes) bytes of UTF-8") }
        if let value, value.count > maxValueBytes {
            throw .tooLarge("a value may be at most \(maxValueBytes) bytes; this one is \(value.count)")
        }
    }

    /// Checks the store name, prefix and limit of a key listing.
    public static func checkListing(store: String, prefix: [UInt8], limit: Int) throws(KeyValueFailure) {
        guard isValidStore(store) else {
            throw .invalid("store name \"\(store)\" must match ^[a-z][a-z0-9-]{0,62}$")
        }
        guard prefix.count <= maxKeyBytes else { throw .invalid("a prefix is at most \(maxKeyBytes) bytes") }
        guard (0...maxListLimit).contains(limit) else {
            throw .invalid("a limit must be from 0 to \(maxListLimit)")
        }
    }
}

/// The syntax of function and store names.
public enum NameSyntax {
    /// Whether `name` matches `^[a-z][a-z0-9-]{0,62}$`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else {
            return false
        }
        return bytes.allSatisfy {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "-")
        }
    }
}
