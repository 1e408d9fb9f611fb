public import Foundation

/// The answer to `POST /functions/{name}/rollback`: the version that is now current.
public struct RollbackResult: Sendable, Equatable, Codable {
    public var name: String
    public var version: Int
    public var digest: String
    public var size: Int64
    public var created: Date

    public init(name: String, current: VersionInfo) {
        self.name = name
        self.version = current.version
        self.digest = current.digest
        self.size = current.size
        self.created = current.created
    }
}
