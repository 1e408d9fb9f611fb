import Foundation
import Logging
import Registry
import RegistryPostgres
import SandboxTesting
import Synchronization

/// A fresh database on the test process's PostgreSQL server (``PostgresServer/shared``), migrated,
/// opened as a ``RegistryDatabase``; ``reopen()`` connects again, as a restarted node would.
final class TestRegistryDatabase: Sendable {
    let url: String
    let database: RegistryDatabase
    let logger: Logger
    private let opened = Mutex<[RegistryDatabase]>([])

    init() throws {
        let server = try PostgresServer.shared.get()
        url = try server.createDatabase()
        var logger = Logger(label: "faas.test.postgres")
        logger.logLevel = .warning
        self.logger = logger
        database = try Self.open(url, logger)
        opened.withLock { $0.append(database) }
    }

    func reopen() throws -> RegistryDatabase {
        let again = try Self.open(url, logger)
        opened.withLock { $0.append(again) }
        return again
    }

    func close() {
        for database in opened.withLock({ $0 }) { database.close() }
    }

    private static func open(_ url: String, _ logger: Logger) throws -> RegistryDatabase {
        try RegistryDatabase.wait { () async -> Result<RegistryDatabase, RegistryError> in
            do throws(RegistryError) {
                let database = try await RegistryDatabase.connect(try Self.parse(url), logger: logger)
                try await database.migrate()
                return .success(database)
            } catch {
                return .failure(error)
            }
        }.get()
    }

    private static func parse(_ url: String) throws(RegistryError) -> RegistryURL {
        do { return try RegistryURL(url) } catch { throw RegistryError(.unavailable, error.description) }
    }
}
