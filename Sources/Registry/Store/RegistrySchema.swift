import GRDB

/// The SQLite schema of `registry.sqlite`, as numbered migrations.
enum RegistrySchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: functions, versions, activations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE functions (
                        name TEXT PRIMARY KEY NOT NULL,
                        current_version INTEGER NOT NULL,
                        created REAL NOT NULL,
                        updated REAL NOT NULL
                    );
                    CREATE TABLE versions (
                        function TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        digest TEXT NOT NULL,
                        manifest TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        compressed_size INTEGER NOT NULL,
                        created REAL NOT NULL,
                        PRIMARY KEY (function, version)
                    );
                    CREATE INDEX versions_digest ON versions(digest);
                    CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
                    BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
                    CREATE TABLE activations (
                        id TEXT PRIMARY KEY NOT NULL,
                        function TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        start TEXT,
                        queue_us INTEGER NOT NULL,
                        init_us INTEGER NOT NULL,
                        run_us INTEGER NOT NULL,
                        exit INTEGER,
                        error TEXT,
                        message TEXT,
                        logs TEXT NOT NULL,
                        fuel_used INTEGER NOT NULL,
                        created REAL NOT NULL,
                        result_status INTEGER,
                        result_headers TEXT,
                        result_body BLOB,
                        bytes INTEGER NOT NULL
                    );
                    CREATE INDEX activations_by_function ON activations(function, created);
                    CREATE INDEX activations_by_created ON activations(created);
                    """)
        }
        migrator.registerMigration("v2: activation totals") { db in
            // Finished records and their bytes per function, so trimming after a batch reads two numbers
            // instead of counting and summing the table (which grew with the number of functions).
            // `SQLiteFunctionStore.write` keeps them in the transaction that changes `activations`; it
            // is the only writer of that table.
            try db.execute(
                sql: """
                    CREATE TABLE activation_totals (
                        function TEXT PRIMARY KEY NOT NULL,
                        finished INTEGER NOT NULL,
                        bytes INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO activation_totals (function, finished, bytes)
                        SELECT function, COUNT(*), SUM(bytes) FROM activations
                        WHERE status IN ('succeeded', 'failed') GROUP BY function;
                    """)
        }
        migrator.registerMigration("v3: async activations") { db in
            // Whether an activation was started with X-Faas-Async, so that its outcome, success or
            // failure, is what GET /activations/{id}/result serves.
            try db.execute(sql: "ALTER TABLE activations ADD COLUMN async INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }
}
