public import Foundation

/// One stored version of a function.
public struct VersionInfo: Sendable, Equatable, Codable {
    public var version: Int
    public var digest: String
    public var size: Int64
    public var created: Date

    public init(version: Int, digest: String, size: Int64, created: Date) {
        self.version = version
        self.digest = digest
        self.size = size
        self.created = created
    }
}
