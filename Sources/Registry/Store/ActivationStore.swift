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
    public var rowsPerFunction: Int
    /// Bytes of finished records (logs, messages, stored results) kept in all (256 MiB).
    public var totalBytes: Int
    /// Longest a record waits in memory before it is written (250 ms). Reads merge records still in
    /// memory, so the interval is invisible to this node's API; other nodes see a record once it is
    /// written, well inside the second SPEC allows. Longer batches cost less per record: under load
    /// a batch holds more than the row cap of a busy function, and the records the cap would delete
    /// at once are never inserted (`faas-bench activations --functions 1 --rate 30000`: 6.3 µs of
    /// writer CPU per record at 50 ms, 3.0 µs at 250 ms).
    public var flushInterval: Duration
    /// Most records written in one transaction (16,384): enough that a batch holds a whole flush
    /// interval up to about 65,000 records/s.
    public var batchSize: Int

    public init(
        rowsPerFunction: Int = 1000, totalBytes: Int = 256 << 20, flushInterval: Duration = .milliseconds(250),
        batchSize: Int = 16384
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
