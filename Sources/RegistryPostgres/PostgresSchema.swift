import Logging
import PostgresNIO
public import Registry

/// The PostgreSQL schema of a shared registry, as numbered migrations.
///
/// Every node runs ``migrate(_:logger:)`` at start; the first takes a session advisory lock, so
/// nodes starting together apply each migration exactly once, in order, each in its own transaction
/// with its number recorded in `faas_schema`. Times are seconds since 1970 (`double precision`), as
/// in the SQLite registry; bytes are `bytea`.
enum PostgresSchema {
    /// The advisory lock key of migrations ("faasmigr").
    static let migrationLock: Int64 = 0x6661_6173_6D69_6772
    /// The advisory lock key of the lease reaper ("faasreap"): one node at a time re-queues expired leases.
    static let reaperLock: Int64 = 0x6661_6173_7265_6170
    /// The advisory lock key of activation trimming ("faastrim"): one trimmer at a time.
    static let trimLock: Int64 = 0x6661_6173_7472_696D
    /// The channel deploys, rollbacks and removals notify (the payload is the function's name).
    static let channel = "faas_registry"

    static let migrations: [(version: Int, name: String, sql: [String])] = [
        (1, "functions, versions, images, activations, queue, schedules, key-value stores, nodes", [
            """
            CREATE TABLE functions (
                name text PRIMARY KEY,
                current_version integer NOT NULL,
                created double precision NOT NULL,
                updated double precision NOT NULL)
            """,
            """
            CREATE TABLE versions (
                function text NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
                version integer NOT NULL,
                digest text NOT NULL,
                manifest text NOT NULL,
                size bigint NOT NULL,
                compressed_size bigint NOT NULL,
                created double precision NOT NULL,
                PRIMARY KEY (function, version))
            """,
            "CREATE INDEX versions_digest ON versions(digest)",
            // Images by digest, in chunks of at most 1 MiB (`stored`: the last put, for collection).
            """
            CREATE TABLE images (
                digest text PRIMARY KEY,
                size bigint NOT NULL,
                chunks integer NOT NULL,
                stored double precision NOT NULL)
            """,
            """
            CREATE TABLE image_chunks (
                digest text NOT NULL REFERENCES images(digest) ON DELETE CASCADE,
                index integer NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (digest, index))
            """,
            // The whole record is its JSON (`record`); the other columns are what queries filter on.
            """
            CREATE TABLE activations (
                id text PRIMARY KEY,
                function text NOT NULL,
                status text NOT NULL,
                created double precision NOT NULL,
                bytes bigint NOT NULL,
                record text NOT NULL)
            """,
            "CREATE INDEX activations_by_function ON activations(function, created)",
            "CREATE INDEX activations_by_created ON activations(created)",
            "CREATE INDEX activations_by_status ON activations(status, created)",
            """
            CREATE TABLE async_queue (
                id text PRIMARY KEY,
                function text NOT NULL,
                version integer,
                trigger text NOT NULL,
                state text NOT NULL,
                attempts integer NOT NULL,
                max_attempts integer NOT NULL,
                run_after double precision NOT NULL,
                lease_owner text,
                lease_node text,
                lease_expires double precision,
                method text NOT NULL,
                path text NOT NULL,
                query text NOT NULL,
                headers text NOT NULL,
                body bytea NOT NULL,
                history text NOT NULL,
                created double precision NOT NULL)
            """,
            "CREATE INDEX async_queue_due ON async_queue(state, run_after)",
            "CREATE INDEX async_queue_leases ON async_queue(lease_expires) WHERE lease_owner IS NOT NULL",
            """
            CREATE TABLE async_keys (
                function text NOT NULL,
                key text NOT NULL,
                activation text NOT NULL,
                created double precision NOT NULL,
                PRIMARY KEY (function, key))
            """,
            "CREATE INDEX async_keys_by_created ON async_keys(created)",
            """
            CREATE TABLE schedule_ticks (
                function text NOT NULL,
                tick double precision NOT NULL,
                activation text NOT NULL,
                PRIMARY KEY (function, tick))
            """,
            """
            CREATE TABLE kv (
                store text NOT NULL,
                key bytea NOT NULL,
                value bytea NOT NULL,
                PRIMARY KEY (store, key))
            """,
            // A store's row is also the lock its writes take, so the quota holds across nodes.
            """
            CREATE TABLE kv_stores (
                store text PRIMARY KEY,
                keys bigint NOT NULL,
                bytes bigint NOT NULL)
            """,
            """
            CREATE TABLE nodes (
                node text PRIMARY KEY,
                address text NOT NULL,
                started double precision NOT NULL,
                last_seen double precision NOT NULL,
                compartments integer NOT NULL,
                running integer NOT NULL)
            """,
        ]),
    ]

    /// Applies the migrations this database lacks, under the migration lock.
    static func migrate(_ database: RegistryDatabase, logger: Logger) async throws(RegistryError) {
        try await database.run("apply the schema") { connection in
            try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
            do {
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS faas_schema (version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())",
                    logger: logger)
                var applied = 0
                for try await version in try await connection.query(
                    "SELECT COALESCE(MAX(version), 0) FROM faas_schema", logger: logger
                ).decode(Int.self) {
                    applied = version
                }
                guard applied <= migrations.last?.version ?? 0 else {
                    throw RegistryError(
                        .unavailable,
                        "the registry's schema is version \(applied), newer than this gateway knows; upgrade the gateway")
                }
                for migration in migrations where migration.version > applied {
                    try await connection.query("BEGIN", logger: logger)
                    do {
                        for statement in migration.sql {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query(
                            "INSERT INTO faas_schema (version, name) VALUES (\(migration.version), \(migration.name))",
                            logger: logger)
                        try await connection.query("COMMIT", logger: logger)
                    } catch {
                        try? await connection.query("ROLLBACK", logger: logger)
                        throw error
                    }
                    logger.info("registry schema migrated", metadata: ["faas.schema": "\(migration.version)"])
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
        }
    }
}

extension RegistryDatabase {
    /// Applies the migrations this database lacks (``PostgresSchema``).
    public func migrate() async throws(RegistryError) {
        try await PostgresSchema.migrate(self, logger: logger)
    }
}
