/// The answer to `GET /functions/{name}`.
public struct FunctionInfo: Sendable, Equatable, Codable {
    public var name: String
    /// The current version.
    public var version: Int
    /// The current version's manifest, as JSON (keys as in `function.yaml`).
    public var manifest: JSONValue
    /// Every stored version, oldest first.
    public var versions: [VersionInfo]
    public var pool: PoolStatus

    public init(name: String, version: Int, manifest: JSONValue, versions: [VersionInfo], pool: PoolStatus) {
        self.name = name
        self.version = version
        self.manifest = manifest
        self.versions = versions
        self.pool = pool
    }
}
