import Foundation
import Sandbox
import Yams

extension Manifest {
    /// Largest `function.yaml` accepted.
    public static let maxYAMLBytes = 64 << 10

    /// The keys `function.yaml` may hold (SPEC).
    static let keys: Set<String> = [
        "name", "module", "abi", "description", "memory", "timeout", "concurrency", "queue", "warm", "keep_alive",
        "state", "response", "public", "env", "capabilities", "retries", "schedule", "runtime", "handler", "build",
    ]
    static let capabilityKeys: Set<String> = ["clock", "random", "files", "invoke", "http", "kv"]

    /// Parses `function.yaml` text into a manifest with every default filled in.
    ///
    /// - Throws: `invalid_function` naming the key whose value is missing, unknown or out of range,
    ///   or the YAML syntax error.
    public static func parse(yaml: String) throws(RegistryError) -> Manifest {
        guard yaml.utf8.count <= maxYAMLBytes else {
            throw .function("function.yaml is larger than \(maxYAMLBytes) bytes")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw .function("function.yaml is not valid YAML: \(error)")
        }
        guard let root, case .mapping(let mapping) = root else {
            throw .function("function.yaml must be a mapping of keys to values (name, module, …)")
        }
        let values = try entries(of: mapping, context: nil, allowed: keys)

        guard let nameNode = values["name"] else { throw .function("function.yaml: key 'name' is required") }
        let name = try string(nameNode, key: "name")
        guard isValidName(name) else {
            throw .function("key 'name': \"\(name)\" must match ^[a-z][a-z0-9-]{0,62}$")
        }
        let runtime: GuestRuntime? = try values["runtime"].map { node throws(RegistryError) in try choice(node, key: "runtime") }
        var manifest: Manifest
        if let runtime {
            guard values["module"] == nil else {
                throw .function("key 'module': a function with runtime \(runtime.rawValue) has no module of its own; 'handler' names its script")
            }
            guard let handlerNode = values["handler"] else {
                throw .function("function.yaml: key 'handler' is required with runtime \(runtime.rawValue) (e.g. handler: index.js)")
            }
            let handler = try path(handlerNode, key: "handler")
            guard handler.hasSuffix(".js") || handler.hasSuffix(".mjs") else {
                throw .function("key 'handler': \"\(handler)\" must name a JavaScript module (.js or .mjs)")
            }
            if let node = values["abi"], try choice(node, key: "abi") as GuestABI != .iv {
                throw .function("key 'abi': a function with runtime \(runtime.rawValue) runs under the platform's runtime, abi iv")
            }
            manifest = Manifest(name: name, module: "")
            manifest.runtime = runtime
            manifest.handler = handler
            manifest.abi = .iv
        } else {
            guard values["handler"] == nil else { throw .function("key 'handler' needs a runtime (runtime: js)") }
            guard let moduleNode = values["module"] else { throw .function("function.yaml: key 'module' is required") }
            manifest = Manifest(name: name, module: try path(moduleNode, key: "module"))
        }
        if let node = values["build"] { manifest.build = try string(node, key: "build") }
        if let node = values["abi"] { manifest.abi = try choice(node, key: "abi") }
        if let node = values["description"] {
            manifest.description = try string(node, key: "description", allowEmpty: true)
            guard manifest.description.utf8.count <= maxDescriptionBytes else {
                throw .function("key 'description' is longer than \(maxDescriptionBytes) bytes")
            }
        }
        if let node = values["memory"] {
            let text = try scalarText(node, key: "memory")
            guard let bytes = ManifestUnits.bytes(text) else {
                throw .function("key 'memory': \"\(text)\" is not a size; write bytes or a number with Ki, Mi or Gi (e.g. 64Mi)")
            }
            guard bytes >= minMemory, bytes <= maxMemory else {
                throw .function("key 'memory': \(text) is outside 64Ki … 4Gi")
            }
            manifest.memory = bytes
        }
        if let node = values["timeout"] {
            let text = try scalarText(node, key: "timeout")
            guard let duration = ManifestUnits.duration(text) else {
                throw .function("key 'timeout': \"\(text)\" is not a duration; write a number with ms, s or m (e.g. 5s)")
            }
            guard duration > .zero, duration <= maxTimeout else {
                throw .function("key 'timeout': \(text) is outside (0, 300s]")
            }
            manifest.timeout = duration
        }
        if let node = values["concurrency"] { manifest.concurrency = try integer(node, key: "concurrency", in: 1...maxConcurrency) }
        if let node = values["queue"] { manifest.queue = try integer(node, key: "queue", in: 0...maxQueue) }
        if let node = values["warm"] { manifest.warm = try integer(node, key: "warm", in: 0...maxConcurrency) }
        guard manifest.warm <= manifest.concurrency else {
            throw .function("key 'warm': \(manifest.warm) is more than concurrency (\(manifest.concurrency))")
        }
        if let node = values["keep_alive"] {
            let text = try scalarText(node, key: "keep_alive")
            guard let duration = ManifestUnits.duration(text, hours: true) else {
                throw .function("key 'keep_alive': \"\(text)\" is not a duration; write a number with ms, s, m or h (e.g. 10m)")
            }
            guard duration <= maxKeepAlive else { throw .function("key 'keep_alive': \(text) is more than 24h") }
            manifest.keepAlive = duration
        }
        if let node = values["state"] { manifest.state = try choice(node, key: "state") }
        if let node = values["response"] { manifest.response = try choice(node, key: "response") }
        if let node = values["public"] { manifest.isPublic = try bool(node, key: "public") }
        if let node = values["env"] { manifest.env = try environment(node) }
        if let node = values["capabilities"] { manifest.capabilities = try grants(node) }
        if let node = values["retries"] { manifest.retries = try integer(node, key: "retries", in: 0...maxRetries) }
        if let node = values["schedule"] {
            let text = try string(node, key: "schedule")
            do {
                manifest.schedule = ManifestSchedule(text: text, schedule: try Schedule.parse(text))
            } catch {
                throw .function("key 'schedule': \(error.description)")
            }
        }
        return manifest
    }

    // MARK: - Sections

    private static func environment(_ node: Node) throws(RegistryError) -> [HTTPField] {
        guard case .mapping(let mapping) = node else {
            throw .function("key 'env' must be a mapping of NAME: value")
        }
        var fields: [HTTPField] = []
        var seen: Set<String> = []
        for (keyNode, valueNode) in mapping {
            let name = try scalarText(keyNode, key: "env")
            guard isEnvironmentName(name) else {
                throw .function("key 'env.\(name)': an environment name must match ^[A-Za-z_][A-Za-z0-9_]*$")
            }
            guard seen.insert(name).inserted else { throw .function("key 'env.\(name)' is given twice") }
            let value = try scalarText(valueNode, key: "env.\(name)", allowEmpty: true)
            guard !value.utf8.contains(0) else { throw .function("key 'env.\(name)': value contains a NUL byte") }
            fields.append(HTTPField(name: name, value: value))
        }
        return fields
    }

    private static func grants(_ node: Node) throws(RegistryError) -> Grants {
        guard case .mapping(let mapping) = node else {
            throw .function("key 'capabilities' must be a mapping (clock, random, files, invoke, http, kv)")
        }
        let values = try entries(of: mapping, context: "capabilities", allowed: capabilityKeys)
        var grants = Grants()
        if let node = values["clock"] { grants.clock = try bool(node, key: "capabilities.clock") }
        if let node = values["random"] { grants.random = try bool(node, key: "capabilities.random") }
        if let node = values["files"] {
            for path in try list(node, key: "capabilities.files") {
                let directory = path.hasSuffix("/")
                let normal: String?
                do { normal = try ArchivePath.normalize(path) } catch {
                    throw .function("key 'capabilities.files': \(error.message)")
                }
                guard let normal else { throw .function("key 'capabilities.files': \"\(path)\" names no file") }
                let grant = directory ? normal + "/" : normal
                if !grants.files.contains(grant) { grants.files.append(grant) }
            }
        }
        if let node = values["invoke"] {
            for name in try list(node, key: "capabilities.invoke") {
                guard isValidName(name) else {
                    throw .function("key 'capabilities.invoke': \"\(name)\" is not a function name")
                }
                if !grants.invoke.contains(name) { grants.invoke.append(name) }
            }
        }
        if let node = values["http"] {
            for text in try list(node, key: "capabilities.http") {
                let grant: HTTPGrant
                do { grant = try HTTPGrant(parsing: text) } catch {
                    throw .function("key 'capabilities.http': \(error.description)")
                }
                if !grants.http.contains(grant) { grants.http.append(grant) }
            }
        }
        if let node = values["kv"] {
            for name in try list(node, key: "capabilities.kv") {
                guard KeyValueRules.isValidStore(name) else {
                    throw .function("key 'capabilities.kv': \"\(name)\" is not a store name (^[a-z][a-z0-9-]{0,62}$)")
                }
                if !grants.kv.contains(name) { grants.kv.append(name) }
            }
        }
        return grants
    }

    // MARK: - Values

    /// The mapping's entries by key, refusing unknown and repeated keys.
    private static func entries(
        of mapping: Node.Mapping, context: String?, allowed: Set<String>
    ) throws(RegistryError) -> [String: Node] {
        var values: [String: Node] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? "?"
            let qualified = context.map { "\($0).\(key)" } ?? key
            guard allowed.contains(key) else {
                throw .function("unknown key '\(qualified)' in function.yaml (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard values.updateValue(value, forKey: key) == nil else {
                throw .function("key '\(qualified)' is given twice")
            }
        }
        return values
    }

    private static func scalarText(_ node: Node, key: String, allowEmpty: Bool = false) throws(RegistryError) -> String {
        guard case .scalar(let scalar) = node else { throw .function("key '\(key)' must be a single value") }
        // A plain empty, `~` or `null` is YAML's null; a quoted '' or 'null' is a string.
        if NSNull.construct(from: scalar) != nil {
            if allowEmpty { return "" }
            throw .function("key '\(key)' has no value")
        }
        return scalar.string
    }

    /// A path inside the archive, normalised.
    private static func path(_ node: Node, key: String) throws(RegistryError) -> String {
        let text = try string(node, key: key)
        let path: String?
        do { path = try ArchivePath.normalize(text) } catch { throw .function("key '\(key)': \(error.message)") }
        guard let path else { throw .function("key '\(key)' must name a file in the archive") }
        return path
    }

    private static func string(_ node: Node, key: String, allowEmpty: Bool = false) throws(RegistryError) -> String {
        let text = try scalarText(node, key: key, allowEmpty: allowEmpty)
        guard allowEmpty || !text.isEmpty else { throw .function("key '\(key)' is empty") }
        return text
    }

    private static func integer(_ node: Node, key: String, in range: ClosedRange<Int>) throws(RegistryError) -> Int {
        let text = try scalarText(node, key: key)
        guard let value = Int(text), range.contains(value) else {
            throw .function("key '\(key)': \"\(text)\" must be a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    private static func bool(_ node: Node, key: String) throws(RegistryError) -> Bool {
        let text = try scalarText(node, key: key)
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw .function("key '\(key)': \"\(text)\" must be true or false")
        }
    }

    private static func choice<T: RawRepresentable & CaseIterable>(
        _ node: Node, key: String
    ) throws(RegistryError) -> T where T.RawValue == String {
        let text = try scalarText(node, key: key)
        guard let value = T(rawValue: text) else {
            let options = T.allCases.map(\.rawValue).joined(separator: " or ")
            throw .function("key '\(key)': \"\(text)\" must be \(options)")
        }
        return value
    }

    private static func list(_ node: Node, key: String) throws(RegistryError) -> [String] {
        guard case .sequence(let sequence) = node else { throw .function("key '\(key)' must be a list, e.g. [a, b]") }
        var items: [String] = []
        for item in sequence {
            items.append(try string(item, key: key))
        }
        return items
    }

    private static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || (65...90).contains(first) || (97...122).contains(first)
        else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (65...90).contains($0) || (97...122).contains($0) || (48...57).contains($0) }
    }
}
