public import Foundation
public import Logging
import PostgresNIO
public import Registry

/// The heartbeat rows of the nodes sharing a PostgreSQL registry (`nodes`).
public final class PostgresNodeDirectory: NodeDirectory {
    let database: RegistryDatabase
    private let logger: Logger

    public init(database: RegistryDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func beat(_ node: NodeInfo) async throws(RegistryError) {
        let logger = logger
        try await database.run("record this node's heartbeat") { connection in
            try await connection.query(
                """
                INSERT INTO nodes (node, address, started, last_seen, compartments, running)
                VALUES (\(node.node), \(node.address), \(node.started.timeIntervalSince1970),
                    \(node.lastSeen.timeIntervalSince1970), \(node.compartments), \(node.running))
                ON CONFLICT (node) DO UPDATE SET address = excluded.address, started = excluded.started,
                    last_seen = excluded.last_seen, compartments = excluded.compartments, running = excluded.running
                """, logger: logger)
        }
    }

    public func nodes(seenSince since: Date) async throws(RegistryError) -> [NodeInfo] {
        let logger = logger
        return try await database.run("list the nodes") { connection in
            var nodes: [NodeInfo] = []
            for try await (node, address, started, lastSeen, compartments, running) in try await connection.query(
                """
                SELECT node, address, started, last_seen, compartments, running FROM nodes
                WHERE last_seen >= \(since.timeIntervalSince1970) ORDER BY node
                """, logger: logger
            ).decode((String, String, Double, Double, Int, Int).self) {
                nodes.append(
                    NodeInfo(
                        node: node, address: address, started: Date(timeIntervalSince1970: started),
                        lastSeen: Date(timeIntervalSince1970: lastSeen), compartments: compartments, running: running))
            }
            return nodes
        }
    }
}
