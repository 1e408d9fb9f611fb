public import Foundation
public import Logging
import PostgresNIO
public import Registry

/// Functions, versions and activation records in the shared PostgreSQL registry.
///
/// A deploy locks its function's row (`INSERT … ON CONFLICT DO UPDATE`), so two nodes deploying
/// one name at once get consecutive, unique versions; every change of what is current notifies
/// ``PostgresSchema/channel`` in its transaction, so the other nodes hear of it at its commit.
public final class PostgresFunctionStore: FunctionStore, ActivationStore {
    let database: RegistryDatabase
    private let logger: Logger

    public init(database: RegistryDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func close() {}

    // MARK: - FunctionStore

    public func addVersion(
        manifest: Manifest, digest: String, size: Int, compressedSize: Int, created: Date
    ) throws(RegistryError) -> VersionInfo {
        let json = try Self.json(manifest)
        let name = manifest.name
        let time = created.timeIntervalSince1970
        let logger = logger
        return try database.blocking("record the new version of \(name)", transaction: true) { connection in
            // The image must still be there: a removal elsewhere may have collected it.
            let image = try await connection.query(
                "SELECT 1 FROM images WHERE digest = \(digest) FOR SHARE", logger: logger
            ).all()
            guard !image.isEmpty else {
                throw RegistryError(.unavailable, "image \(digest) of \(name) is not in the registry; deploy again")
            }
            try await connection.query(
                """
                INSERT INTO functions (name, current_version, created, updated) VALUES (\(name), 0, \(time), \(time))
                ON CONFLICT (name) DO UPDATE SET updated = excluded.updated
                """, logger: logger)
            var last = 0
            for try await value in try await connection.query(
                "SELECT COALESCE(MAX(version), 0) FROM versions WHERE function = \(name)", logger: logger
            ).decode(Int.self) {
                last = value
            }
            let version = last + 1
            try await connection.query(
                """
                INSERT INTO versions (function, version, digest, manifest, size, compressed_size, created)
                VALUES (\(name), \(version), \(digest), \(json), \(size), \(compressedSize), \(time))
                """, logger: logger)
            try await connection.query(
                "UPDATE functions SET current_version = \(version) WHERE name = \(name)", logger: logger)
            try await Self.notify(connection, name, logger)
            return VersionInfo(version: version, digest: digest, size: size, compressedSize: compressedSize, created: created)
        }
    }

    public func summaries() throws(RegistryError) -> [FunctionSummary] {
        let logger = logger
        let rows = try database.blocking("list functions") { connection in
            var rows: [(String, Int, Double, String)] = []
            for try await row in try await connection.query(
                """
                SELECT f.name, f.current_version, f.updated, v.manifest FROM functions f
                JOIN versions v ON v.function = f.name AND v.version = f.current_version ORDER BY f.name
                """, logger: logger
            ).decode((String, Int, Double, String).self) {
                rows.append(row)
            }
            return rows
        }
        var summaries: [FunctionSummary] = []
        for (name, version, updated, json) in rows {
            summaries.append(
                FunctionSummary(
                    name: name, version: version, description: try Self.manifest(json).description,
                    updated: Date(timeIntervalSince1970: updated)))
        }
        return summaries
    }

    public func detail(name: String) throws(RegistryError) -> FunctionDetail? {
        let logger = logger
        let found = try database.blocking("read function \(name)", transaction: true) { connection -> (Int, [StoredVersion])? in
            var current: Int?
            for try await value in try await connection.query(
                "SELECT current_version FROM functions WHERE name = \(name)", logger: logger
            ).decode(Int.self) {
                current = value
            }
            guard let current else { return nil }
            let versions = try await StoredVersion.fetch(
                connection, "WHERE function = \(name) ORDER BY version", logger: logger)
            return (current, versions)
        }
        guard let (current, versions) = found else { return nil }
        guard let currentVersion = versions.first(where: { $0.info.version == current }) else {
            throw RegistryError(.unavailable, "registry database: function \(name) names a current version that does not exist")
        }
        return FunctionDetail(
            name: name, version: current, manifest: try Self.manifest(currentVersion.manifest),
            versions: versions.map(\.info))
    }

    public func version(name: String, version: Int?) throws(RegistryError) -> VersionRecord? {
        let logger = logger
        let found = try database.blocking("read function \(name)") { connection -> StoredVersion? in
            if let version {
                return try await StoredVersion.fetch(
                    connection, "WHERE function = \(name) AND version = \(version)", logger: logger
                ).first
            }
            return try await StoredVersion.fetch(
                connection,
                "WHERE (function, version) IN (SELECT name, current_version FROM functions WHERE name = \(name))",
                logger: logger
            ).first
        }
        guard let found else { return nil }
        return VersionRecord(function: name, info: found.info, manifest: try Self.manifest(found.manifest))
    }

    public func setCurrent(name: String, version: Int?) throws(RegistryError) -> VersionInfo {
        let logger = logger
        let now = Date().timeIntervalSince1970
        return try database.blocking("roll back \(name)", transaction: true) { connection in
            var current: Int?
            for try await value in try await connection.query(
                "SELECT current_version FROM functions WHERE name = \(name) FOR UPDATE", logger: logger
            ).decode(Int.self) {
                current = value
            }
            guard let current else { throw RegistryError(.notFound, "function \(name) does not exist") }
            let target: Int
            if let version {
                target = version
            } else {
                var previous: Int?
                for try await value in try await connection.query(
                    "SELECT MAX(version) FROM versions WHERE function = \(name) AND version < \(current)", logger: logger
                ).decode(Int?.self) {
                    previous = value
                }
                guard let previous else { throw RegistryError(.notFound, "function \(name) has no version before \(current)") }
                target = previous
            }
            guard let found = try await StoredVersion.fetch(
                connection, "WHERE function = \(name) AND version = \(target)", logger: logger
            ).first else {
                throw RegistryError(.notFound, "function \(name) has no version \(target)")
            }
            try await connection.query(
                "UPDATE functions SET current_version = \(target), updated = \(now) WHERE name = \(name)", logger: logger)
            try await Self.notify(connection, name, logger)
            return found.info
        }
    }

    public func remove(name: String) throws(RegistryError) -> Set<String>? {
        let logger = logger
        return try database.blocking("remove \(name)", transaction: true) { connection -> Set<String>? in
            let existing = try await connection.query(
                "SELECT 1 FROM functions WHERE name = \(name) FOR UPDATE", logger: logger
            ).all()
            guard !existing.isEmpty else { return nil }
            var digests: Set<String> = []
            for try await digest in try await connection.query(
                "DELETE FROM versions WHERE function = \(name) RETURNING digest", logger: logger
            ).decode(String.self) {
                digests.insert(digest)
            }
            try await connection.query("DELETE FROM functions WHERE name = \(name)", logger: logger)
            try await Self.notify(connection, name, logger)
            return digests
        }
    }

    public func referencedDigests() throws(RegistryError) -> Set<String> {
        let logger = logger
        return try database.blocking("list image digests") { connection in
            var digests: Set<String> = []
            for try await digest in try await connection.query(
                "SELECT DISTINCT digest FROM versions", logger: logger
            ).decode(String.self) {
                digests.insert(digest)
            }
            return digests
        }
    }

    // MARK: - ActivationStore

    public func write(_ records: [ActivationRecord], limits: ActivationLimits) throws {
        guard !records.isEmpty else { return }
        let touched = Array(Set(records.map(\.function)))
        let logger = logger
        try database.blocking("store activation records", transaction: true) { connection in
            try await ActivationRows.upsert(connection, records, logger)
        }
        let database = database
        RegistryDatabase.wait { await Self.trim(database, functions: touched, limits: limits, logger: logger) }
    }

    /// Deletes the oldest finished records beyond the per-function row cap and the total byte cap.
    ///
    /// In a transaction of its own, after the records' own has committed, and by one trimmer at a
    /// time across the cluster (`pg_try_advisory_xact_lock`): concurrent trims of one table deadlock
    /// one another and the writes they share it with. A trim that finds another running is skipped;
    /// the next finished record trims again, so the caps hold within a few records. A failed trim
    /// loses nothing and is only logged.
    static func trim(
        _ database: RegistryDatabase, functions: [String], limits: ActivationLimits, logger: Logger
    ) async {
        guard !functions.isEmpty else { return }
        do throws(RegistryError) {
            try await database.transaction("trim activation records") { connection in
                let locked = try await connection.query(
                    "SELECT pg_try_advisory_xact_lock(\(PostgresSchema.trimLock))", logger: logger
                ).all().first?.decode(Bool.self) ?? false
                guard locked else { return }
                try await connection.query(
                    """
                    DELETE FROM activations WHERE id IN (
                        SELECT id FROM (
                            SELECT id, row_number() OVER (PARTITION BY function ORDER BY created DESC, id DESC) AS n
                            FROM activations WHERE function = ANY(\(functions)::text[]) AND status IN ('succeeded', 'failed', 'dead')
                        ) ranked WHERE n > \(limits.rowsPerFunction))
                    """, logger: logger)
                try await connection.query(
                    """
                    DELETE FROM activations WHERE id IN (
                        SELECT id FROM (
                            SELECT id, SUM(bytes) OVER (ORDER BY created DESC, id DESC) AS kept
                            FROM activations WHERE status IN ('succeeded', 'failed', 'dead')
                        ) ranked WHERE kept > \(limits.totalBytes))
                    """, logger: logger)
            }
        } catch {
            logger.notice("cannot trim activation records", metadata: ["error": "\(error.message)"])
        }
    }

    public func activation(id: String) throws -> ActivationRecord? {
        let logger = logger
        let json = try database.blocking("read activation \(id)") { connection in
            var found: String?
            for try await record in try await connection.query(
                "SELECT record FROM activations WHERE id = \(id)", logger: logger
            ).decode(String.self) {
                found = record
            }
            return found
        }
        return try json.map(ActivationJSON.decode)
    }

    public func activations(function: String?, status: ActivationStatus?, limit: Int) throws -> [ActivationRecord] {
        let logger = logger
        let limit = max(limit, 0)
        let statusText = status?.rawValue
        let rows = try database.blocking("list activations") { connection in
            var rows: [String] = []
            for try await record in try await connection.query(
                """
                SELECT record FROM activations
                WHERE (\(function)::text IS NULL OR function = \(function)::text)
                AND (\(statusText)::text IS NULL OR status = \(statusText)::text)
                ORDER BY created DESC, id DESC LIMIT \(limit)
                """, logger: logger
            ).decode(String.self) {
                rows.append(record)
            }
            return rows
        }
        return try rows.map(ActivationJSON.decode)
    }

    // MARK: - Rows

    /// Tells every node that `name` changed, when the transaction commits.
    static func notify(_ connection: PostgresConnection, _ name: String, _ logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(PostgresSchema.channel), \(name))", logger: logger)
    }

    static func json(_ manifest: Manifest) throws(RegistryError) -> String {
        do { return String(decoding: try manifest.canonicalJSON(), as: UTF8.self) } catch {
            throw RegistryError(.unavailable, "cannot encode the manifest of \(manifest.name): \(error)")
        }
    }

    static func manifest(_ json: String) throws(RegistryError) -> Manifest {
        do { return try JSONDecoder().decode(Manifest.self, from: Data(json.utf8)) } catch {
            throw RegistryError(.unavailable, "registry database holds an unreadable manifest: \(error)")
        }
    }
}

/// A `versions` row.
struct StoredVersion: Sendable {
    var info: VersionInfo
    var manifest: String

    static func fetch(_ connection: PostgresConnection, _ condition: PostgresQuery, logger: Logger) async throws -> [StoredVersion] {
        var query: PostgresQuery = "SELECT version, digest, size, compressed_size, created, manifest FROM versions "
        query.sql += condition.sql
        query.binds = condition.binds
        var versions: [StoredVersion] = []
        for try await (version, digest, size, compressedSize, created, manifest) in try await connection.query(
            query, logger: logger
        ).decode((Int, String, Int, Int, Double, String).self) {
            versions.append(
                StoredVersion(
                    info: VersionInfo(
                        version: version, digest: digest, size: size, compressedSize: compressedSize,
                        created: Date(timeIntervalSince1970: created)),
                    manifest: manifest))
        }
        return versions
    }
}

/// Activation records as stored: their JSON (the SPEC's field names, dates as seconds since 1970).
enum ActivationJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }

    static func decode(_ json: String) throws -> ActivationRecord {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(ActivationRecord.self, from: Data(json.utf8))
    }
}
