import Foundation
import Sandbox

/// A manifest encodes with the keys and units of `function.yaml` (`keep_alive: 10m`, `memory: 64Mi`),
/// so the JSON the API shows reads like the file that was deployed.
extension Manifest: Codable {
    private enum Key: String, CodingKey {
        case name, module, abi, description, memory, timeout, concurrency, queue, warm
        case keepAlive = "keep_alive"
        case state, response
        case isPublic = "public"
        case env, capabilities
        case retries, schedule, runtime, handler, build
    }

    private enum GrantKey: String, CodingKey { case clock, random, files, invoke, http, kv }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: .name)
        if runtime == nil { try container.encode(module, forKey: .module) }
        try container.encode(abi.rawValue, forKey: .abi)
        try container.encode(description, forKey: .description)
        try container.encode(ManifestUnits.format(bytes: memory), forKey: .memory)
        try container.encode(ManifestUnits.format(duration: timeout), forKey: .timeout)
        try container.encode(concurrency, forKey: .concurrency)
        try container.encode(queue, forKey: .queue)
        try container.encode(warm, forKey: .warm)
        try container.encode(ManifestUnits.format(duration: keepAlive), forKey: .keepAlive)
        try container.encode(state.rawValue, forKey: .state)
        try container.encode(response.rawValue, forKey: .response)
        try container.encode(isPublic, forKey: .isPublic)
        // An ordered list of single-entry objects keeps the order that a JSON object would not.
        try container.encode(env.map { [$0.name: $0.value] }, forKey: .env)
        var grants = container.nestedContainer(keyedBy: GrantKey.self, forKey: .capabilities)
        try grants.encode(capabilities.clock, forKey: .clock)
        try grants.encode(capabilities.random, forKey: .random)
        try grants.encode(capabilities.files, forKey: .files)
        try grants.encode(capabilities.invoke, forKey: .invoke)
        // v2 grants only when given, like the v2 keys below.
        if !capabilities.http.isEmpty { try grants.encode(capabilities.http.map(\.text), forKey: .http) }
        if !capabilities.kv.isEmpty { try grants.encode(capabilities.kv, forKey: .kv) }
        // v2 keys only when set, so that the canonical JSON (and the digest) of a v1 manifest stays as it was.
        if retries != Manifest.defaultRetries { try container.encode(retries, forKey: .retries) }
        try container.encodeIfPresent(schedule?.text, forKey: .schedule)
        try container.encodeIfPresent(runtime?.rawValue, forKey: .runtime)
        try container.encodeIfPresent(handler, forKey: .handler)
        try container.encodeIfPresent(build, forKey: .build)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        func invalid(_ key: Key, _ text: String) -> DecodingError {
            .dataCorruptedError(forKey: key, in: container, debugDescription: "\(key.stringValue): \(text)")
        }
        self.init(
            name: try container.decode(String.self, forKey: .name),
            module: try container.decodeIfPresent(String.self, forKey: .module) ?? "")
        guard let abi = GuestABI(rawValue: try container.decode(String.self, forKey: .abi)) else { throw invalid(.abi, "unknown") }
        self.abi = abi
        description = try container.decode(String.self, forKey: .description)
        let memory = try container.decode(String.self, forKey: .memory)
        guard let bytes = ManifestUnits.bytes(memory) else { throw invalid(.memory, memory) }
        self.memory = bytes
        let timeout = try container.decode(String.self, forKey: .timeout)
        guard let duration = ManifestUnits.duration(timeout) else { throw invalid(.timeout, timeout) }
        self.timeout = duration
        concurrency = try container.decode(Int.self, forKey: .concurrency)
        queue = try container.decode(Int.self, forKey: .queue)
        warm = try container.decode(Int.self, forKey: .warm)
        let keepAlive = try container.decode(String.self, forKey: .keepAlive)
        guard let idle = ManifestUnits.duration(keepAlive, hours: true) else { throw invalid(.keepAlive, keepAlive) }
        self.keepAlive = idle
        guard let state = StatePolicy(rawValue: try container.decode(String.self, forKey: .state)) else {
            throw invalid(.state, "unknown")
        }
        self.state = state
        guard let response = ResponseMode(rawValue: try container.decode(String.self, forKey: .response)) else {
            throw invalid(.response, "unknown")
        }
        self.response = response
        isPublic = try container.decode(Bool.self, forKey: .isPublic)
        env = try container.decode([[String: String]].self, forKey: .env).flatMap { entry in
            entry.map { HTTPField(name: $0.key, value: $0.value) }
        }
        let grants = try container.nestedContainer(keyedBy: GrantKey.self, forKey: .capabilities)
        capabilities = Grants(
            clock: try grants.decode(Bool.self, forKey: .clock), random: try grants.decode(Bool.self, forKey: .random),
            files: try grants.decode([String].self, forKey: .files), invoke: try grants.decode([String].self, forKey: .invoke),
            kv: try grants.decodeIfPresent([String].self, forKey: .kv) ?? [])
        for text in try grants.decodeIfPresent([String].self, forKey: .http) ?? [] {
            do {
                capabilities.http.append(try HTTPGrant(parsing: text))
            } catch {
                throw DecodingError.dataCorruptedError(
                    forKey: .http, in: grants, debugDescription: "capabilities.http: \(error.description)")
            }
        }
        retries = try container.decodeIfPresent(Int.self, forKey: .retries) ?? Manifest.defaultRetries
        if let text = try container.decodeIfPresent(String.self, forKey: .runtime) {
            guard let runtime = GuestRuntime(rawValue: text) else { throw invalid(.runtime, "unknown") }
            self.runtime = runtime
        }
        handler = try container.decodeIfPresent(String.self, forKey: .handler)
        build = try container.decodeIfPresent(String.self, forKey: .build)
        if let text = try container.decodeIfPresent(String.self, forKey: .schedule) {
            do {
                schedule = ManifestSchedule(text: text, schedule: try Schedule.parse(text))
            } catch {
                throw invalid(.schedule, error.description)
            }
        }
    }

    /// The canonical JSON of this manifest: sorted keys, no whitespace; part of the image digest.
    public func canonicalJSON() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(self))
    }
}
