/// Where activation records are kept. SQLite (``SQLiteFunctionStore``) here.
public protocol ActivationStore: Sendable {
    /// Inserts or replaces `records` (by id) in one transaction, then trims finished records
    /// beyond `limits`, oldest first.
    func write(_ records: [ActivationRecord], limits: ActivationLimits) throws

    /// The record `id`, or `nil`.
    func activation(id: String) throws -> ActivationRecord?

    /// Up to `limit` records, newest first, of `function` (every function when `nil`) with
    /// `status` (any when `nil`).
    func activations(function: String?, status: ActivationStatus?, limit: Int) throws -> [ActivationRecord]
}

/// How much of the activation history is kept.
public struct ActivationLimits: Sendable, Equatable {
    /// Finished records kept per function (1,000).
    public var rowsPerFunction: Int = 1000
    /// Bytes of finished records (logs, messages, stored results) kept in all (256 MiB).
    public var totalBytes: Int = 256 << 20
    /// Longest a record waits in memory before it is written (50 ms).
    public var flushInterval: Duration = .milliseconds(50)
    /// Most records written in one transaction (4096): enough that at high rates a batch holds a
    /// whole flush interval, whose records beyond the row cap are then never inserted.
    public var batchSize: Int = 4096

    public init(
        rowsPerFunction: Int = 1000, totalBytes: Int = 256 << 20, flushInterval: Duration = .milliseconds(50),
        batchSize: Int = 4096
    ) {
        self.rowsPerFunction = rowsPerFunction
        self.totalBytes = totalBytes
        self.flushInterval = flushInterval
        self.batchSize = batchSize
    }
}

extension ActivationStore {
    /// Up to `limit` records of any status, newest first.
    public func activations(function: String?, limit: Int) throws -> [ActivationRecord] {
        try activations(function: function, status: nil, limit: limit)
    }
}
