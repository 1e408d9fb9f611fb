public import Foundation
import Synchronization

/// One gateway process sharing the registry, as `GET /nodes` lists it.
public struct NodeInfo: Sendable, Equatable {
    /// The node's name (`faas serve --node`, default `hostname:port`).
    public var node: String
    /// Where it listens (`http://host:port`).
    public var address: String
    public var started: Date
    /// Its last heartbeat.
    public var lastSeen: Date
    /// Live compartments, sealed or running.
    public var compartments: Int
    /// Invocations running now.
    public var running: Int

    public init(node: String, address: String, started: Date, lastSeen: Date, compartments: Int, running: Int) {
        self.node = node
        self.address = address
        self.started = started
        self.lastSeen = lastSeen
        self.compartments = compartments
        self.running = running
    }
}

/// The heartbeat rows of the nodes that share a registry: one row per node, written every few
/// seconds by the node itself. PostgreSQL keeps them for every node; a registry of one node keeps
/// its own row in memory.
public protocol NodeDirectory: Sendable {
    /// Records `node`'s heartbeat (inserting or replacing its row).
    func beat(_ node: NodeInfo) async throws(RegistryError)
    /// The nodes whose last heartbeat is at or after `since`, by name.
    func nodes(seenSince since: Date) async throws(RegistryError) -> [NodeInfo]
}

/// The directory of a registry that one node owns (SQLite in its data folder): the node's own row.
public final class LocalNodeDirectory: NodeDirectory {
    private let row = Mutex<NodeInfo?>(nil)

    public init() {}

    public func beat(_ node: NodeInfo) async throws(RegistryError) {
        row.withLock { $0 = node }
    }

    public func nodes(seenSince since: Date) async throws(RegistryError) -> [NodeInfo] {
        row.withLock { row in row.map { $0.lastSeen >= since ? [$0] : [] } ?? [] }
    }
}
