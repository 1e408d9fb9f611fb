public import Foundation
import GRDB

/// Functions, versions and activations in one SQLite file (WAL, full sync), through GRDB.
///
/// GRDB serialises writes, so two deploys of one name get consecutive, unique version numbers.
public final class SQLiteFunctionStore: FunctionStore, ActivationStore {
    let database: DatabasePool

    /// Opens (creating and migrating if needed) the database at `path`.
    public init(path: String) throws(RegistryError) {
        database = try DurableDatabase.open(path: path, migrator: RegistrySchema.migrator, what: "registry")
    }

    public func close() {
        try? database.close()
    }

    /// Runs `body`, turning a database error into `unavailable`.
    func access<T>(_ what: String, _ body: () throws -> T) throws(RegistryError) -> T {
        do {
            return try body()
        } catch let error as RegistryError {
            throw error
        } catch {
            throw .storage("registry database: cannot \(what): \(error)")
        }
    }

    // MARK: - FunctionStore

    public func addVersion(
        manifest: Manifest, digest: String, size: Int, compressedSize: Int, created: Date
    ) throws(RegistryError) -> VersionInfo {
        let json = try Self.json(manifest)
        return try access("record the new version") {
            try database.write { db in
                let last = try Int.fetchOne(
                    db, sql: "SELECT MAX(version) FROM versions WHERE function = ?", arguments: [manifest.name]) ?? 0
                let version = last + 1
                let time = created.timeIntervalSince1970
                try db.execute(
                    sql: """
                        INSERT INTO functions (name, current_version, created, updated) VALUES (?, ?, ?, ?)
                        ON CONFLICT(name) DO UPDATE SET current_version = excluded.current_version, updated = excluded.updated
                        """, arguments: [manifest.name, version, time, time])
                try db.execute(
                    sql: """
                        INSERT INTO versions (function, version, digest, manifest, size, compressed_size, created)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [manifest.name, version, digest, json, size, compressedSize, time])
                return VersionInfo(
                    version: version, digest: digest, size: size, compressedSize: compressedSize,
                    created: Date(timeIntervalSince1970: time))
            }
        }
    }

    public func summaries() throws(RegistryError) -> [FunctionSummary] {
        let rows = try access("list functions") {
            try database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT f.name, f.current_version, f.updated, v.manifest FROM functions f
                        JOIN versions v ON v.function = f.name AND v.version = f.current_version ORDER BY f.name
                        """)
            }
        }
        var summaries: [FunctionSummary] = []
        for row in rows {
            let manifest = try Self.manifest(row["manifest"])
            summaries.append(
                FunctionSummary(
                    name: row["name"], version: row["current_version"], description: manifest.description,
                    updated: Date(timeIntervalSince1970: row["updated"])))
        }
        return summaries
    }

    public func detail(name: String) throws(RegistryError) -> FunctionDetail? {
        let found = try access("read function \(name)") {
            try database.read { db -> (Int, [Row])? in
                guard let current = try Int.fetchOne(
                    db, sql: "SELECT current_version FROM functions WHERE name = ?", arguments: [name])
                else { return nil }
                let rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM versions WHERE function = ? ORDER BY version", arguments: [name])
                return (current, rows)
            }
        }
        guard let found else { return nil }
        let (current, rows) = found
        guard let currentRow = rows.first(where: { ($0["version"] as Int) == current }) else {
            throw .storage("registry database: function \(name) names a current version that does not exist")
        }
        return FunctionDetail(
            name: name, version: current, manifest: try Self.manifest(currentRow["manifest"]),
            versions: rows.map(Self.info))
    }

    public func version(name: String, version: Int?) throws(RegistryError) -> VersionRecord? {
        let row = try access("read function \(name)") {
            try database.read { db in
                if let version {
                    return try Row.fetchOne(
                        db, sql: "SELECT * FROM versions WHERE function = ? AND version = ?", arguments: [name, version])
                }
                return try Row.fetchOne(
                    db,
                    sql: """
                        SELECT v.* FROM versions v JOIN functions f ON f.name = v.function AND f.current_version = v.version
                        WHERE f.name = ?
                        """, arguments: [name])
            }
        }
        guard let row else { return nil }
        return VersionRecord(function: name, info: Self.info(row), manifest: try Self.manifest(row["manifest"]))
    }

    public func setCurrent(name: String, version: Int?) throws(RegistryError) -> VersionInfo {
        let row = try access("roll back \(name)") {
            try database.write { db -> Row in
                guard let current = try Int.fetchOne(
                    db, sql: "SELECT current_version FROM functions WHERE name = ?", arguments: [name])
                else { throw RegistryError(.notFound, "function \(name) does not exist") }
                let target: Int
                if let version {
                    target = version
                } else {
                    guard let previous = try Int.fetchOne(
                        db, sql: "SELECT MAX(version) FROM versions WHERE function = ? AND version < ?",
                        arguments: [name, current])
                    else { throw RegistryError(.notFound, "function \(name) has no version before \(current)") }
                    target = previous
                }
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM versions WHERE function = ? AND version = ?", arguments: [name, target])
                else { throw RegistryError(.notFound, "function \(name) has no version \(target)") }
                try db.execute(
                    sql: "UPDATE functions SET current_version = ?, updated = ? WHERE name = ?",
                    arguments: [target, Date().timeIntervalSince1970, name])
                return row
            }
        }
        return Self.info(row)
    }

    public func remove(name: String) throws(RegistryError) -> Set<String>? {
        try access("remove \(name)") {
            try database.write { db -> Set<String>? in
                guard try Int.fetchOne(db, sql: "SELECT 1 FROM functions WHERE name = ?", arguments: [name]) != nil else {
                    return nil
                }
                let digests = try String.fetchSet(db, sql: "SELECT digest FROM versions WHERE function = ?", arguments: [name])
                try db.execute(sql: "DELETE FROM versions WHERE function = ?", arguments: [name])
                try db.execute(sql: "DELETE FROM functions WHERE name = ?", arguments: [name])
                return digests
            }
        }
    }

    public func referencedDigests() throws(RegistryError) -> Set<String> {
        try access("list image digests") {
            try database.read { db in try String.fetchSet(db, sql: "SELECT DISTINCT digest FROM versions") }
        }
    }

    // MARK: - Rows

    static func info(_ row: Row) -> VersionInfo {
        VersionInfo(
            version: row["version"], digest: row["digest"], size: row["size"], compressedSize: row["compressed_size"],
            created: Date(timeIntervalSince1970: row["created"]))
    }

    static func json(_ manifest: Manifest) throws(RegistryError) -> String {
        do { return String(decoding: try manifest.canonicalJSON(), as: UTF8.self) } catch {
            throw .storage("cannot encode the manifest of \(manifest.name): \(error)")
        }
    }

    static func manifest(_ json: String) throws(RegistryError) -> Manifest {
        do { return try JSONDecoder().decode(Manifest.self, from: Data(json.utf8)) } catch {
            throw .storage("registry database holds an unreadable manifest: \(error)")
        }
    }
}
