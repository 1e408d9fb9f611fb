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
        migrator.registerMigration("v4: durable async queue, schedules") { db in
            // The durable queue of async activations (`SQLiteAsyncQueue`): a row is committed before
            // its 202, leased by the process that runs it and finished by a fenced update. Its
            // activation record stays in `activations`, written in the same transactions.
            // Idempotency keys live 24 h; a schedule's tick is one row, claimed by a unique insert.
            try db.execute(
                sql: """
                    CREATE TABLE async_queue (
                        id TEXT PRIMARY KEY NOT NULL,
                        function TEXT NOT NULL,
                        version INTEGER,
                        trigger TEXT NOT NULL,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        max_attempts INTEGER NOT NULL,
                        run_after REAL NOT NULL,
                        lease_owner TEXT,
                        lease_node TEXT,
                        lease_expires REAL,
                        method TEXT NOT NULL,
                        path TEXT NOT NULL,
                        query TEXT NOT NULL,
                        headers TEXT NOT NULL,
                        body BLOB NOT NULL,
                        history TEXT NOT NULL,
                        created REAL NOT NULL
                    );
                    CREATE INDEX async_queue_due ON async_queue(state, run_after);
                    CREATE INDEX async_queue_leases ON async_queue(lease_expires) WHERE lease_owner IS NOT NULL;
                    CREATE TABLE async_keys (
                        function TEXT NOT NULL,
                        key TEXT NOT NULL,
                        activation TEXT NOT NULL,
                        created REAL NOT NULL,
                        PRIMARY KEY (function, key)
                    ) WITHOUT ROWID;
                    CREATE INDEX async_keys_by_created ON async_keys(created);
                    CREATE TABLE schedule_ticks (
                        function TEXT NOT NULL,
                        tick REAL NOT NULL,
                        activation TEXT NOT NULL,
                        PRIMARY KEY (function, tick)
                    ) WITHOUT ROWID;
                    ALTER TABLE activations ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
                    ALTER TABLE activations ADD COLUMN trigger TEXT NOT NULL DEFAULT 'http';
                    ALTER TABLE activations ADD COLUMN node TEXT;
                    ALTER TABLE activations ADD COLUMN history TEXT;
                    UPDATE activations SET trigger = 'async' WHERE async = 1;
                    CREATE INDEX activations_by_status ON activations(status, created);
                    """)
            // Async activations of v1 lived only in memory until they ran: those a stop left queued or
            // running have no request to run again. They end as failed, not as a promise kept forever.
            try db.execute(
                sql: """
                    UPDATE activations SET status = 'failed', error = 'unavailable',
                        message = 'the server stopped before this activation finished (accepted before async activations were durable)'
                    WHERE async = 1 AND status IN ('queued', 'running')
                    """)
        }
        return migrator
    }
}
