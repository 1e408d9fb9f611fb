public import Foundation

/// One row of `GET /nodes`: a gateway sharing this registry, seen in the last 30 s.
public struct NodeSummary: Sendable, Equatable, Codable {
    public var node: String
    /// Where it listens, `http://host:port`.
    public var address: String
    public var started: Date
    public var lastSeen: Date
    /// Live compartments, sealed or running.
    public var compartments: Int
    /// Invocations running on it.
    public var running: Int

    public init(node: String, address: String, started: Date, lastSeen: Date, compartments: Int, running: Int) {
        self.node = node
        self.address = address
        self.started = started
        self.lastSeen = lastSeen
        self.compartments = compartments
        self.running = running
    }

    enum CodingKeys: String, CodingKey {
        case node, address, started
        case lastSeen = "last_seen"
        case compartments, running
    }
}
