import Foundation
import Gateway

/// A test double of the platform: functions are Swift closures, records live in memory.
///
/// It stands in for the scheduler and registry only where the route tests need a backend; the
/// gateway's parsing, limits, auth, framing and error rendering all run for real against it.
actor InMemoryPlatform: FunctionPlatform {
    typealias Behavior = @Sendable (_ version: Int, _ request: FunctionRequest) async -> InvokeAnswer.Outcome

    struct Function {
        var isPublic: Bool
        var versions: [VersionInfo]
        var current: Int
        var behavior: Behavior
        var description: String
    }

    private var functions: [String: Function] = [:]
    private var records: [ActivationInfo] = []
    private var results: [String: StoredResult] = [:]
    private var nextActivation = 0
    private(set) var deployedArchives: [[UInt8]] = []
    private(set) var shutdowns = 0
    private(set) var lastRequest: FunctionRequest?
    /// The name the next deploy registers.
    var deployName = "uploaded"
    /// When set, the next deploys fail with it.
    var deployFailure: PlatformError?

    func add(_ name: String, isPublic: Bool = true, versions: Int = 1, description: String = "", behavior: @escaping Behavior) {
        let infos = (1...versions).map {
            VersionInfo(version: $0, digest: "sha256:\(String(repeating: String($0), count: 8))", size: Int64(100 * $0), created: Date(timeIntervalSince1970: 1_800_000_000))
        }
        functions[name] = Function(isPublic: isPublic, versions: infos, current: versions, behavior: behavior, description: description)
    }

    func setDeployName(_ name: String) { deployName = name }
    func setDeployFailure(_ failure: PlatformError?) { deployFailure = failure }

    func invoke(function: String, version: Int?, request: FunctionRequest, async: Bool) async -> InvokeAnswer {
        lastRequest = request
        guard let entry = functions[function] else {
            return InvokeAnswer(activation: nil, start: nil, durationUs: 0, outcome: .failure(PlatformError(.notFound, "no function named '\(function)'")))
        }
        let pinned = version ?? entry.current
        guard entry.versions.contains(where: { $0.version == pinned }) else {
            return InvokeAnswer(activation: nil, start: nil, durationUs: 0, outcome: .failure(PlatformError(.notFound, "\(function) has no version \(pinned)")))
        }
        nextActivation += 1
        let id = String(format: "act%06d", nextActivation)
        let start: StartKind = nextActivation == 1 ? .cold : .warm
        if async {
            record(id: id, function: function, version: pinned, status: .queued, start: nil, failure: nil)
            let behavior = entry.behavior
            Task {
                let outcome = await behavior(pinned, request)
                self.finishAsync(id: id, function: function, version: pinned, outcome: outcome)
            }
            return InvokeAnswer(activation: id, start: nil, durationUs: 0, outcome: .accepted)
        }
        let began = ContinuousClock.now
        let outcome = await entry.behavior(pinned, request)
        let elapsed = ContinuousClock.now - began
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        var failure: PlatformError?
        if case .failure(let error) = outcome { failure = error }
        record(id: id, function: function, version: pinned, status: failure == nil ? .succeeded : .failed, start: start, failure: failure)
        return InvokeAnswer(activation: id, start: start, durationUs: micros, outcome: outcome)
    }

    private func finishAsync(id: String, function: String, version: Int, outcome: InvokeAnswer.Outcome) {
        var failure: PlatformError?
        switch outcome {
        case .response(let response):
            results[id] = StoredResult(status: response.status, headers: response.headers, body: response.body)
        case .failure(let error):
            failure = error
        case .accepted:
            break
        }
        record(id: id, function: function, version: version, status: failure == nil ? .succeeded : .failed, start: .warm, failure: failure)
    }

    private func record(id: String, function: String, version: Int, status: ActivationStatus, start: StartKind?, failure: PlatformError?) {
        let info = ActivationInfo(
            id: id, function: function, version: version, status: status, start: start, queueUs: 3, initUs: start == .cold ? 40 : 0,
            runUs: 7, exit: failure == nil ? 0 : 1, error: failure?.code.rawValue, message: failure?.message,
            logs: "log line of \(id)\n", fuelUsed: 1234, created: Date(timeIntervalSince1970: 1_800_000_000 + Double(records.count)))
        records.removeAll { $0.id == id }
        records.append(info)
    }

    func isPublic(function: String) async -> Bool {
        functions[function]?.isPublic ?? false
    }

    func deploy(archive: [UInt8]) async throws(PlatformError) -> DeployResult {
        if let deployFailure { throw deployFailure }
        guard archive.count >= 2, archive[0] == 0x1f, archive[1] == 0x8b else {
            throw PlatformError(.invalidArchive, "not a gzip stream")
        }
        deployedArchives.append(archive)
        var entry = functions[deployName] ?? Function(isPublic: true, versions: [], current: 0, behavior: { _, _ in .response(FunctionResponse(status: 200, body: Array("deployed".utf8))) }, description: "uploaded")
        let version = (entry.versions.map(\.version).max() ?? 0) + 1
        entry.versions.append(VersionInfo(version: version, digest: "sha256:deadbeef\(version)", size: Int64(archive.count * 2), created: Date(timeIntervalSince1970: 1_800_000_000)))
        entry.current = version
        functions[deployName] = entry
        return DeployResult(name: deployName, version: version, digest: "sha256:deadbeef\(version)", size: Int64(archive.count * 2), compressedSize: Int64(archive.count))
    }

    func list() async throws(PlatformError) -> [FunctionSummary] {
        functions.keys.sorted().map { name in
            let entry = functions[name]!
            return FunctionSummary(name: name, version: entry.current, description: entry.description, updated: Date(timeIntervalSince1970: 1_800_000_000))
        }
    }

    func info(function: String) async throws(PlatformError) -> FunctionInfo? {
        guard let entry = functions[function] else { return nil }
        let manifest = JSONValue.object(["name": .string(function), "memory": .number(67_108_864), "public": .bool(entry.isPublic)])
        return FunctionInfo(name: function, version: entry.current, manifest: manifest, versions: entry.versions, pool: PoolStatus(sealed: 1, running: 0, queued: 0))
    }

    func remove(function: String) async throws(PlatformError) {
        guard functions.removeValue(forKey: function) != nil else {
            throw PlatformError(.notFound, "no function named '\(function)'")
        }
    }

    func rollback(function: String, to version: Int?) async throws(PlatformError) -> VersionInfo {
        guard var entry = functions[function] else { throw PlatformError(.notFound, "no function named '\(function)'") }
        let target = version ?? entry.current - 1
        guard let info = entry.versions.first(where: { $0.version == target }) else {
            throw PlatformError(.notFound, "\(function) has no version \(target)")
        }
        entry.current = target
        functions[function] = entry
        return info
    }

    func activations(function: String?, limit: Int) async throws(PlatformError) -> [ActivationInfo] {
        Array(records.reversed().filter { function == nil || $0.function == function }.prefix(limit))
    }

    func activation(id: String) async throws(PlatformError) -> ActivationInfo? {
        records.first { $0.id == id }
    }

    func activationResult(id: String) async throws(PlatformError) -> StoredResult? {
        results[id]
    }

    func compartments() async -> [CompartmentInfo] {
        functions.keys.sorted().enumerated().map { index, name in
            CompartmentInfo(id: UInt64(index + 1), function: name, version: functions[name]!.current, state: .sealed, memoryBytes: 65536, invocations: index, created: Date(timeIntervalSince1970: 1_800_000_000))
        }
    }

    func metricsText() async -> String {
        "# TYPE faas_invocations_total counter\nfaas_invocations_total{function=\"echo\",status=\"200\",start=\"warm\"} \(records.count)\n"
    }

    func shutdown(grace: Duration) async {
        shutdowns += 1
    }
}
