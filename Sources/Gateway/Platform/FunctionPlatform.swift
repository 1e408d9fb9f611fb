/// What the gateway needs from the platform behind it: exactly the operations its routes use.
///
/// The gateway parses, authenticates and limits requests, then hands them to a `FunctionPlatform`
/// and renders the answer. `invoke` is called on the connection's event loop: it must neither
/// block nor run guest code there, but hand the work to the platform's own threads and answer
/// through its completion, from whichever thread finishes. Every other requirement is called from
/// the global executor.
///
/// Failures are ``PlatformError`` values carrying one of the contract's error codes
/// (``ErrorCode``); the gateway maps each code to its HTTP status in one place.
public protocol FunctionPlatform: Sendable {
    /// Runs one invocation of `function` and answers through `completion`, exactly once, on any thread.
    /// - Parameters:
    ///   - version: a pinned version (`?version=N`), or `nil` for the current one.
    func invoke(
        function: String, version: Int?, request: FunctionRequest,
        completion: @escaping @Sendable (InvokeAnswer) -> Void)

    /// Stores an async invocation (`X-Faas-Async: true`) durably and answers
    /// ``InvokeAnswer/Outcome/accepted`` with its activation id; with `idempotencyKey`, a key the
    /// function saw in the last 24 h answers the first activation's id and queues nothing.
    func enqueue(function: String, version: Int?, request: FunctionRequest, idempotencyKey: String?) async -> InvokeAnswer

    /// Queues a `dead` activation again (`POST /activations/{id}/retry`).
    /// - Throws: `not_found` for an unknown activation, `conflict` for one that is not dead.
    func retry(activation id: String) async throws(PlatformError)

    /// Whether `function` exists and its manifest says `public: true` (invocable without a token).
    /// Unknown functions are not public. Asked only for an invocation without a valid token when the
    /// server has one.
    func isPublic(function: String) async -> Bool

    /// Deploys a `fn.tar.gz` archive as a new version and makes it current.
    func deploy(archive: [UInt8]) async throws(PlatformError) -> DeployResult

    /// Every function with its current version, sorted by name.
    func list() async throws(PlatformError) -> [FunctionSummary]

    /// Details of one function, or `nil` when there is no such function.
    func info(function: String) async throws(PlatformError) -> FunctionInfo?

    /// Drains the function's compartments and removes it. Throws `not_found` for an unknown function.
    func remove(function: String) async throws(PlatformError)

    /// Makes `version` (or, when `nil`, the version before the current one) current again.
    func rollback(function: String, to version: Int?) async throws(PlatformError) -> VersionInfo

    /// Activation records, newest first, optionally of one function and of one status only.
    func activations(function: String?, status: ActivationStatus?, limit: Int) async throws(PlatformError) -> [ActivationInfo]

    /// One activation record, or `nil` when there is no such activation.
    func activation(id: String) async throws(PlatformError) -> ActivationInfo?

    /// The stored response of a finished async activation, or `nil` when there is none.
    func activationResult(id: String) async throws(PlatformError) -> StoredResult?

    /// The key-value stores that hold at least one key (`GET /kv`).
    func keyValueStores() async throws(PlatformError) -> [StoreSummary]

    /// The keys of `store` beginning with `prefix`, in byte order, at most `limit`.
    /// - Throws: `bad_request` for a bad store name.
    func keyValueKeys(store: String, prefix: [UInt8], limit: Int) async throws(PlatformError) -> [[UInt8]]

    /// The value of `key` in `store`, or nil when absent.
    func keyValueGet(store: String, key: [UInt8]) async throws(PlatformError) -> [UInt8]?

    /// Sets `key` in `store`; durable when it returns.
    /// - Throws: `bad_request` (name, key), `payload_too_large` (value over 1 MiB, or the quota).
    func keyValuePut(store: String, key: [UInt8], value: [UInt8]) async throws(PlatformError)

    /// Deletes `key` from `store`: whether there was a value.
    func keyValueDelete(store: String, key: [UInt8]) async throws(PlatformError) -> Bool

    /// The live compartments.
    func compartments() async -> [CompartmentInfo]

    /// The nodes sharing the registry seen in the last 30 s, by name (this node alone on SQLite).
    func nodes() async throws(PlatformError) -> [NodeSummary]

    /// The Prometheus exposition of the platform's metrics.
    func metricsText() async -> String

    /// Finishes running invocations (within `grace`), flushes activation records and closes storage.
    func shutdown(grace: Duration) async
}

extension FunctionPlatform {
    /// ``invoke(function:version:request:completion:)`` for async callers.
    public func invoke(function: String, version: Int?, request: FunctionRequest) async -> InvokeAnswer {
        await withCheckedContinuation { continuation in
            invoke(function: function, version: version, request: request) {
                continuation.resume(returning: $0)
            }
        }
    }
}
