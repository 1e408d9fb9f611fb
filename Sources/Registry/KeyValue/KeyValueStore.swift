public import Sandbox

/// The key-value stores of `capabilities.kv` (SPEC "Key-value stores"), one backend per registry:
/// SQLite in the data folder now, PostgreSQL when several nodes share a registry.
///
/// The guest-facing operations are ``KeyValueAccess``'s; each is atomic, and durable before it
/// returns (a value a caller was told is set survives kill -9). Every method may block on I/O:
/// call it from a thread that may block, never from an event loop or the cooperative pool.
/// Implementations check ``KeyValueRules`` themselves too (the HTTP API calls them directly).
public protocol KeyValueStore: KeyValueAccess {
    /// Every store that holds at least one key, by name.
    func stores() throws(KeyValueFailure) -> [KeyValueStoreInfo]
    /// Ends background work after what was submitted (the writer thread); later writes fail.
    func close()
}

/// One store as `GET /kv` lists it.
public struct KeyValueStoreInfo: Sendable, Equatable {
    public var store: String
    /// Keys it holds.
    public var keys: Int
    /// Bytes of its keys and values, counted against the quota.
    public var bytes: Int

    public init(store: String, keys: Int, bytes: Int) {
        self.store = store
        self.keys = keys
        self.bytes = bytes
    }
}
