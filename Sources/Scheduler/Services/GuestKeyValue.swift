import Registry
import Sandbox

/// The key-value stores a compartment sees: the registry's, with the guest's worker slot given
/// back while a write waits for its commit (reads are quick and keep it), and every operation
/// counted in `faas_kv_operations_total`.
struct GuestKeyValue: KeyValueAccess {
    let store: any KeyValueStore
    let workers: WorkerPool
    let metrics: SchedulerMetrics

    func get(store name: String, key: [UInt8]) throws(KeyValueFailure) -> [UInt8]? {
        try run("get", waits: false, outcome: { $0 == nil ? "not_found" : "ok" }) { () throws(KeyValueFailure) in
            try store.get(store: name, key: key)
        }
    }

    func set(store name: String, key: [UInt8], value: [UInt8]) throws(KeyValueFailure) {
        try run("set", waits: true, outcome: { "ok" }) { () throws(KeyValueFailure) in
            try store.set(store: name, key: key, value: value)
        }
    }

    func delete(store name: String, key: [UInt8]) throws(KeyValueFailure) -> Bool {
        try run("delete", waits: true, outcome: { $0 ? "ok" : "not_found" }) { () throws(KeyValueFailure) in
            try store.delete(store: name, key: key)
        }
    }

    func increment(store name: String, key: [UInt8], delta: Int64) throws(KeyValueFailure) -> Int64 {
        try run("incr", waits: true, outcome: { _ in "ok" }) { () throws(KeyValueFailure) in
            try store.increment(store: name, key: key, delta: delta)
        }
    }

    func compareAndSwap(store name: String, key: [UInt8], expected: [UInt8]?, value: [UInt8]) throws(KeyValueFailure)
        -> Bool
    {
        try run("cas", waits: true, outcome: { $0 ? "ok" : "conflict" }) { () throws(KeyValueFailure) in
            try store.compareAndSwap(store: name, key: key, expected: expected, value: value)
        }
    }

    func keys(store name: String, prefix: [UInt8], limit: Int) throws(KeyValueFailure) -> [[UInt8]] {
        try run("keys", waits: false, outcome: { _ in "ok" }) { () throws(KeyValueFailure) in
            try store.keys(store: name, prefix: prefix, limit: limit)
        }
    }

    func count(operation: String, result: String) {
        metrics.keyValueOperation(operation, result: result)
    }

    /// Runs one operation and counts its outcome. A write (`waits`) waits for a commit, a wait on
    /// the disk, so the slot goes back meanwhile and other guests run.
    private func run<T>(
        _ operation: String, waits: Bool, outcome: (T) -> String, _ body: () throws(KeyValueFailure) -> T
    ) throws(KeyValueFailure) -> T {
        func call() -> Result<T, KeyValueFailure> {
            do throws(KeyValueFailure) { return .success(try body()) } catch { return .failure(error) }
        }
        switch waits ? workers.blocking(call) : call() {
        case .success(let value):
            metrics.keyValueOperation(operation, result: outcome(value))
            return value
        case .failure(let failure):
            metrics.keyValueOperation(operation, result: Self.name(of: failure))
            throw failure
        }
    }

    private static func name(of failure: KeyValueFailure) -> String {
        switch failure {
        case .invalid: "invalid"
        case .tooLarge: "too_large"
        case .quota: "quota"
        case .unavailable: "unavailable"
        }
    }
}
