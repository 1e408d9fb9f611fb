/// One row of `GET /kv`.
public struct StoreSummary: Sendable, Equatable, Codable {
    public var store: String
    /// Keys it holds.
    public var keys: Int
    /// Bytes of its keys and values (what the quota counts).
    public var bytes: Int

    public init(store: String, keys: Int, bytes: Int) {
        self.store = store
        self.keys = keys
        self.bytes = bytes
    }
}
