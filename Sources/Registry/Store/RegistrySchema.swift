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
            // Finished records and their bytes per function, kept by triggers in the transactions that
            // change `activations`, so trimming reads two numbers instead of counting and summing the
            // table after every batch (which grew with the number of functions).
            let finished = "status IN ('succeeded', 'failed')"
            try db.execute(
                sql: """
                    CREATE TABLE activation_totals (
                        function TEXT PRIMARY KEY NOT NULL,
                        finished INTEGER NOT NULL,
                        bytes INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO activation_totals (function, finished, bytes)
                        SELECT function, COUNT(*), SUM(bytes) FROM activations WHERE \(finished) GROUP BY function;
                    CREATE TRIGGER activation_totals_insert AFTER INSERT ON activations WHEN NEW.\(finished)
                    BEGIN
                        INSERT INTO activation_totals (function, finished, bytes) VALUES (NEW.function, 1, NEW.bytes)
                        ON CONFLICT(function) DO UPDATE SET finished = finished + 1, bytes = bytes + excluded.bytes;
                    END;
                    CREATE TRIGGER activation_totals_delete AFTER DELETE ON activations WHEN OLD.\(finished)
                    BEGIN
                        UPDATE activation_totals SET finished = finished - 1, bytes = bytes - OLD.bytes
                        WHERE function = OLD.function;
                    END;
                    CREATE TRIGGER activation_totals_update AFTER UPDATE ON activations
                    WHEN OLD.\(finished) OR NEW.\(finished)
                    BEGIN
                        UPDATE activation_totals SET finished = finished - 1, bytes = bytes - OLD.bytes
                        WHERE OLD.\(finished) AND function = OLD.function;
                        INSERT INTO activation_totals (function, finished, bytes)
                        SELECT NEW.function, 1, NEW.bytes WHERE NEW.\(finished)
                        ON CONFLICT(function) DO UPDATE SET finished = finished + 1, bytes = bytes + excluded.bytes;
                    END;
                    """)
        }
        return migrator
    }
}
