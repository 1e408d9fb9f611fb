import WasmKit

/// The signature of every hostcall a guest may import: the `intravisor` module of SPEC.md and WASI
/// preview 1. An import with another signature, or of a name not listed, is refused when the image is made.
enum HostcallSignatures {
    static let intravisorModule = "intravisor"
    static let wasiModule = "wasi_snapshot_preview1"

    private static func type(_ parameters: [ValueType], _ results: [ValueType]) -> FunctionType {
        FunctionType(parameters: parameters, results: results)
    }

    /// `intravisor` imports (SPEC "Guest ABIs", `iv`; v2 also for `wasi` modules, see ``isAvailableToWASI(_:)``).
    static let intravisor: [String: FunctionType] = [
        "request_len": type([], [.i32]),
        "request_read": type([.i32, .i32, .i32], [.i32]),
        "response_write": type([.i32, .i32], [.i32]),
        "response_status": type([.i32], [.i32]),
        "response_header": type([.i32, .i32, .i32, .i32], [.i32]),
        "log": type([.i32, .i32], [.i32]),
        "clock_ns": type([.i32], [.i64]),
        "random": type([.i32, .i32], [.i32]),
        "cap_open": type([.i32, .i32], [.i32]),
        "cap_len": type([.i32], [.i64]),
        "cap_read": type([.i32, .i32, .i32, .i64], [.i32]),
        "cap_restrict": type([.i32, .i64, .i64, .i32], [.i32]),
        "cap_drop": type([.i32], [.i32]),
        "call": type([.i32, .i32, .i32, .i32], [.i32]),
        "call_status": type([.i32], [.i32]),
        "http_request": type([.i32, .i32, .i32, .i32], [.i32]),
        "http_status": type([.i32], [.i32]),
        "http_header": type([.i32, .i32, .i32, .i32, .i32], [.i32]),
        "kv_get": type([.i32, .i32, .i32, .i32], [.i32]),
        "kv_set": type([.i32, .i32, .i32, .i32, .i32, .i32], [.i32]),
        "kv_delete": type([.i32, .i32, .i32, .i32], [.i32]),
        "kv_incr": type([.i32, .i32, .i32, .i32, .i64, .i32], [.i32]),
        "kv_cas": type([.i32, .i32, .i32, .i32, .i32, .i32, .i32, .i32], [.i32]),
        "kv_keys": type([.i32, .i32, .i32, .i32, .i32], [.i32]),
    ]

    /// Whether a `wasi` module may import `intravisor.name` (v2): all but `request_*` and
    /// `response_*`, since its request and response are stdin and stdout.
    static func isAvailableToWASI(_ name: String) -> Bool {
        !name.hasPrefix("request_") && !name.hasPrefix("response_")
    }

    /// Every WASI preview 1 function; those the checked layer does not implement answer `ENOSYS`.
    static let wasi: [String: FunctionType] = {
        let i = ValueType.i32, l = ValueType.i64
        var table: [String: FunctionType] = [:]
        func errno(_ name: String, _ parameters: [ValueType]) { table[name] = type(parameters, [.i32]) }
        errno("args_get", [i, i]); errno("args_sizes_get", [i, i])
        errno("environ_get", [i, i]); errno("environ_sizes_get", [i, i])
        errno("clock_res_get", [i, i]); errno("clock_time_get", [i, l, i])
        errno("fd_advise", [i, l, l, i]); errno("fd_allocate", [i, l, l]); errno("fd_close", [i])
        errno("fd_datasync", [i]); errno("fd_fdstat_get", [i, i]); errno("fd_fdstat_set_flags", [i, i])
        errno("fd_fdstat_set_rights", [i, l, l]); errno("fd_filestat_get", [i, i])
        errno("fd_filestat_set_size", [i, l]); errno("fd_filestat_set_times", [i, l, l, i])
        errno("fd_pread", [i, i, i, l, i]); errno("fd_prestat_get", [i, i]); errno("fd_prestat_dir_name", [i, i, i])
        errno("fd_pwrite", [i, i, i, l, i]); errno("fd_read", [i, i, i, i]); errno("fd_readdir", [i, i, i, l, i])
        errno("fd_renumber", [i, i]); errno("fd_seek", [i, l, i, i]); errno("fd_sync", [i]); errno("fd_tell", [i, i])
        errno("fd_write", [i, i, i, i]); errno("path_create_directory", [i, i, i])
        errno("path_filestat_get", [i, i, i, i, i]); errno("path_filestat_set_times", [i, i, i, i, l, l, i])
        errno("path_link", [i, i, i, i, i, i, i]); errno("path_open", [i, i, i, i, i, l, l, i, i])
        errno("path_readlink", [i, i, i, i, i, i]); errno("path_remove_directory", [i, i, i])
        errno("path_rename", [i, i, i, i, i, i]); errno("path_symlink", [i, i, i, i, i])
        errno("path_unlink_file", [i, i, i]); errno("poll_oneoff", [i, i, i, i])
        table["proc_exit"] = type([i], [])
        errno("proc_raise", [i]); errno("sched_yield", []); errno("random_get", [i, i])
        errno("sock_accept", [i, i, i]); errno("sock_recv", [i, i, i, i, i, i]); errno("sock_send", [i, i, i, i, i])
        errno("sock_shutdown", [i, i])
        return table
    }()

    /// The signature `module.name` must have, or nil if no such hostcall exists under `abi`. A platform
    /// `runtime` module (an `iv` reactor) may import WASI preview 1 as well, for its C library.
    static func signature(module: String, name: String, abi: GuestABI, runtime: GuestRuntime? = nil) -> FunctionType? {
        switch (abi, module) {
        case (.iv, intravisorModule): return intravisor[name]
        case (.iv, wasiModule) where runtime != nil: return wasi[name]
        case (.wasi, intravisorModule): return isAvailableToWASI(name) ? intravisor[name] : nil
        case (.wasi, wasiModule): return wasi[name]
        default: return nil
        }
    }
}
