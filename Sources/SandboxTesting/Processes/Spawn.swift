import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Starts a program with `posix_spawn`, its standard streams opened from files, every other descriptor
/// closed, signals at their defaults and none blocked.
///
/// Foundation's `Process.run()` of Swift 6.3.1 crashes now and then on Linux: it lists `/proc/self/fd`
/// with a struct copy of `d_name` that reads past glibc's buffer (swift-corelibs-foundation #5472, fixed
/// after that release). The tests start thousands of children (every `curl`), so they start them here.
enum Spawn {
    /// Where a child's standard streams come from.
    struct Streams {
        var input: String  // a file to read, e.g. /dev/null
        var output: String  // a file to append to
        var error: String?  // a file to append to; nil: the same as `output`
    }

    /// Starts `executable` and answers its pid.
    ///
    /// - Throws: ``ChildProcessError`` when it cannot be started (no such file, not executable, no such folder).
    static func start(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String?, streams: Streams
    ) throws(ChildProcessError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, streams.input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, streams.output, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        if let error = streams.error {
            posix_spawn_file_actions_addopen(&actions, 2, error, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        guard let closeFrom = Self.closeFrom, let changeDirectory = Self.changeDirectory else {
            throw ChildProcessError("this C library lacks posix_spawn_file_actions_addclosefrom_np or _addchdir_np")
        }
        _ = closeFrom(&actions, 3)
        if let directory { _ = changeDirectory(&actions, directory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var every = sigset_t()
        sigfillset(&every)
        posix_spawnattr_setsigdefault(&attributes, &every)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw ChildProcessError("cannot run \(executable): \(String(cString: strerror(status)))")
        }
        return pid
    }

    /// Calls `finished` with the child's exit code, or minus the signal that ended it, once it has exited
    /// (and been reaped), from a thread of its own that waits for it.
    static func watch(_ pid: pid_t, _ finished: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 {
                guard errno == EINTR else {
                    finished(-SIGKILL)  // not ours to wait for any more: report it gone
                    return
                }
            }
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
            let signal = status & 0x7f
            finished(signal == 0 ? (status >> 8) & 0xff : -signal)
        }
        thread.stackSize = 64 << 10
        thread.start()
    }

    private typealias FileAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias PathAction =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's extensions (2.34 and 2.29), which Swift's Glibc module does not declare.
    private static let closeFrom: FileAction? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: FileAction.self) }
    private static let changeDirectory: PathAction? = dlsym(
        nil, "posix_spawn_file_actions_addchdir_np"
    ).map { unsafeBitCast($0, to: PathAction.self) }
}
