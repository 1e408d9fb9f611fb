public import Foundation

/// A real PostgreSQL server for tests: Debian's binaries, `initdb` in a fresh temporary folder,
/// listening on 127.0.0.1 on a free port, with a password-authenticated user `faas`.
///
/// Run as a non-root user (as root, as the `postgres` system user, since PostgreSQL refuses root).
/// A watchdog stops it and deletes its folder when the test process ends, however it ends.
/// ``shared`` serves a whole test process; each test takes a database of its own from it.
public final class PostgresServer: Sendable {
    public let port: Int
    public let folder: String
    public static let user = "faas"
    public static let password = "faas-test-password"

    /// The server of this test process, started at first use.
    public static let shared: Result<PostgresServer, ChildProcessError> = Result { () throws(ChildProcessError) in
        try PostgresServer()
    }

    /// Starts a new server (a few seconds: initdb, then start).
    public init() throws(ChildProcessError) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("faas-pg-\(UUID().uuidString)").path
        var port = 0
        for _ in 0..<5 {
            port = LoopbackPort.free()
            let result = Self.shell(Self.startScript, [folder, String(port), String(getpid()), Self.password])
            if result.status == 0 {
                self.port = port
                self.folder = folder
                return
            }
            if !result.output.contains("could not bind") && !result.output.contains("Address already in use") {
                throw ChildProcessError("cannot start PostgreSQL for the tests: \(result.output)")
            }
        }
        throw ChildProcessError("cannot start PostgreSQL for the tests: no free port")
    }

    /// `postgres://faas:…@127.0.0.1:PORT/database`.
    public func url(database: String) -> String {
        "postgres://\(Self.user):\(Self.password)@127.0.0.1:\(port)/\(database)"
    }

    /// A new empty database, named after `prefix` and a fresh UUID; its URL.
    public func createDatabase(prefix: String = "t") throws(ChildProcessError) -> String {
        let name = "\(prefix)_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        try sql("CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// Runs `statement` with psql in database `database`.
    public func sql(_ statement: String, database: String = "postgres") throws(ChildProcessError) {
        let result = Self.shell(
            "PGPASSWORD=\"$5\" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p \"$2\" -U \"$3\" -d \"$4\" -c \"$1\" 2>&1",
            [statement, String(port), Self.user, database, Self.password])
        guard result.status == 0 else { throw ChildProcessError("psql \(statement): \(result.output)") }
    }

    /// `pg_ctl restart -m immediate`: the server dies without a checkpoint and starts again (crash recovery).
    public func restartImmediately() throws(ChildProcessError) {
        try control("restart -m immediate -w -t 60 -o \"$PGOPTIONS_SERVER\"")
    }

    /// `pg_ctl stop -m immediate`.
    public func stopImmediately() throws(ChildProcessError) { try control("stop -m immediate -w") }

    /// `pg_ctl start`.
    public func start() throws(ChildProcessError) { try control("start -w -t 60 -o \"$PGOPTIONS_SERVER\"") }

    private func control(_ arguments: String) throws(ChildProcessError) {
        let result = Self.shell(
            Self.prelude
                + "as_owner \"$bin/pg_ctl\" -D \"$1/data\" -l \"$1/server.log\" \(arguments) >/dev/null"
                + " || { tail -n 20 \"$1/server.log\"; exit 1; }",
            [folder, String(port)])
        guard result.status == 0 else { throw ChildProcessError("pg_ctl \(arguments): \(result.output)") }
    }

    // MARK: - Shell

    /// Finds the binaries; `as_owner` runs a command as the server's user.
    private static let prelude = #"""
        set -euo pipefail
        # The test process's descriptors stay out of the server: PostgreSQL counts inherited ones
        # against its limit and refuses to start when too few are left.
        for fd in $(ls /proc/$$/fd); do if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi; done
        bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
        [[ -x "$bin/initdb" ]] || { echo "PostgreSQL is not installed (apt-get install postgresql)"; exit 3; }
        as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
        export PGOPTIONS_SERVER="-p $2 -k $1 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=400"

        """#

    /// $1 folder, $2 port, $3 the pid to watch, $4 the password.
    private static let startScript = prelude + #"""
        mkdir -p "$1"
        printf '%s' "$4" > "$1/password"
        if [[ $(id -u) -eq 0 ]]; then chown -R postgres: "$1"; fi
        as_owner "$bin/initdb" -D "$1/data" -U faas --pwfile="$1/password" --auth=scram-sha-256 -E UTF8 --no-sync \
            > "$1/initdb.log" 2>&1 || { cat "$1/initdb.log"; exit 1; }
        if ! as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 -o "$PGOPTIONS_SERVER" start >/dev/null 2>&1; then
            cat "$1/server.log"; exit 1
        fi
        # The watchdog: when the test process is gone, stop the server and delete its folder.
        owner=""; if [[ $(id -u) -eq 0 ]]; then owner="runuser -u postgres --"; fi
        setsid nohup bash -c "while kill -0 $3 2>/dev/null; do sleep 1; done; $owner '$bin/pg_ctl' -D '$1/data' -m immediate stop; rm -rf '$1'" \
            >/dev/null 2>&1 < /dev/null &
        """#

    /// Runs `script` with bash and waits for it, its output (stdout and stderr) read from a file.
    ///
    /// posix_spawn and waitpid, not Foundation's Process: its waitUntilExit can miss the exit of a
    /// child whose own children (the server, the watchdog) outlive it, and hang.
    private static func shell(_ script: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("faas-pg-shell-\(UUID().uuidString)").path
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = (["/bin/bash", "-c", script, "postgres-server"] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = argv.withUnsafeBufferPointer { pointers in
            posix_spawn(&pid, "/bin/bash", &actions, nil, UnsafeMutablePointer(mutating: pointers.baseAddress!), environ)
        }
        guard spawned == 0 else { return (-1, "cannot run bash: \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return (-1, "cannot wait for bash: \(String(cString: strerror(errno)))") }
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        // Exited: the status's second byte; killed: the signal's number, negated.
        return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f), text)
    }
}
