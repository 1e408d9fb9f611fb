import GRDB

/// How the registry opens its SQLite files: WAL (GRDB's pool), `synchronous = FULL` so a commit
/// that returned is on disk, a 10 s busy timeout, and the file's migrations applied.
enum DurableDatabase {
    static func open(path: String, migrator: DatabaseMigrator, what: String) throws(RegistryError) -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            let database = try DatabasePool(path: path, configuration: configuration)
            try migrator.migrate(database)
            return database
        } catch {
            throw .storage("cannot open the \(what) database \(path): \(error)")
        }
    }
}
