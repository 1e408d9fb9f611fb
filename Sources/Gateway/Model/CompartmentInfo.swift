public import Foundation

/// The state of a live compartment.
public enum CompartmentState: String, Sendable, Codable {
    case sealed, running
}

/// One row of `GET /cvms`.
public struct CompartmentInfo: Sendable, Equatable, Codable {
    public var id: UInt64
    public var function: String
    public var version: Int
    public var state: CompartmentState
    /// Current linear memory size.
    public var memoryBytes: Int
    public var invocations: Int
    public var created: Date

    public init(
        id: UInt64, function: String, version: Int, state: CompartmentState, memoryBytes: Int, invocations: Int,
        created: Date
    ) {
        self.id = id
        self.function = function
        self.version = version
        self.state = state
        self.memoryBytes = memoryBytes
        self.invocations = invocations
        self.created = created
    }

    enum CodingKeys: String, CodingKey {
        case id, function, version, state
        case memoryBytes = "memory_bytes"
        case invocations, created
    }
}
