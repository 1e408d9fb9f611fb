public import Foundation

/// One row of `GET /functions`.
public struct FunctionSummary: Sendable, Equatable, Codable {
    public var name: String
    /// The current version.
    public var version: Int
    public var description: String
    /// When the current version became current.
    public var updated: Date

    public init(name: String, version: Int, description: String, updated: Date) {
        self.name = name
        self.version = version
        self.description = description
        self.updated = updated
    }
}
