import Sandbox
import WAT

/// WebAssembly guests written in WAT for the sandbox's tests: small, exact, and hostile where needed.
public enum GuestFixtures {
    /// The binary module for `wat`.
    public static func wasm(_ wat: String) throws -> [UInt8] {
        try wat2wasm(wat)
    }

    /// An `iv` guest that echoes the request: status 201, header `x-echo: yes`, logs `echo`, body = request.
    public static let ivEcho = """
        (module
          (import "intravisor" "request_len" (func $request_len (result i32)))
          (import "intravisor" "request_read" (func $request_read (param i32 i32 i32) (result i32)))
          (import "intravisor" "response_write" (func $response_write (param i32 i32) (result i32)))
          (import "intravisor" "response_status" (func $response_status (param i32) (result i32)))
          (import "intravisor" "response_header" (func $response_header (param i32 i32 i32 i32) (result i32)))
          (import "intravisor" "log" (func $log (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "x-echoyesecho")
          (func (export "iv_main") (result i32) (local $n i32)
            (local.set $n (call $request_read (i32.const 1024) (call $request_len) (i32.const 0)))
            (drop (call $response_write (i32.const 1024) (local.get $n)))
            (drop (call $response_status (i32.const 201)))
            (drop (call $response_header (i32.const 0) (i32.const 6) (i32.const 6) (i32.const 3)))
            (drop (call $log (i32.const 9) (i32.const 4)))
            (i32.const 0)))
        """

    /// An `iv` guest whose `iv_init` sets a counter at address 16 to 10 and whose `iv_main` increments both
    /// that counter and a mutable global, answering the two as one byte each.
    public static let ivCounter = """
        (module
          (import "intravisor" "response_write" (func $response_write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (global $g (mut i32) (i32.const 0))
          (func (export "iv_init") (result i32)
            (i32.store8 (i32.const 16) (i32.const 10))
            (i32.const 0))
          (func (export "iv_main") (result i32)
            (i32.store8 (i32.const 16) (i32.add (i32.load8_u (i32.const 16)) (i32.const 1)))
            (global.set $g (i32.add (global.get $g) (i32.const 1)))
            (i32.store8 (i32.const 17) (global.get $g))
            (drop (call $response_write (i32.const 16) (i32.const 2)))
            (i32.const 0)))
        """

    /// An `iv` guest that calls `intravisor.name` (of `signature`, e.g. `(param i32 i32) (result i32)`) with
    /// `arguments` (WAT instructions), then answers the result as 8 little-endian bytes (an i32 result is
    /// sign-extended). `setup` runs first (e.g. to open a handle into local `$h`).
    public static func ivCalling(
        _ name: String, signature: String, arguments: String, returnsI64: Bool = false, setup: String = "",
        extraImports: String = "", memoryPages: Int = 1
    ) -> String {
        """
        (module
          (import "intravisor" "response_write" (func $response_write (param i32 i32) (result i32)))
          (import "intravisor" "\(name)" (func $target \(signature)))
          \(extraImports)
          (memory (export "memory") \(memoryPages))
          (data (i32.const 256) "data/a.txt\\00missing.txt\\00secret.txt")
          (func (export "iv_main") (result i32) (local $h i32) (local $r i64)
            \(setup)
            (local.set $r \(returnsI64 ? "(call $target \(arguments))" : "(i64.extend_i32_s (call $target \(arguments)))"))
            (i64.store (i32.const 0) (local.get $r))
            (drop (call $response_write (i32.const 0) (i32.const 8)))
            (i32.const 0)))
        """
    }

    /// A WASI command that copies stdin to stdout, writes `log line\\n` to stderr and exits with the status
    /// it reads from the environment variable `EXIT` (a digit) when present, else returns from `_start`.
    public static let wasiEcho = """
        (module
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 64) "log line\\n")
          (func (export "_start") (local $n i32)
            (block $done
              (loop $again
                ;; iov at 0: buffer 1024, length 4096
                (i32.store (i32.const 0) (i32.const 1024))
                (i32.store (i32.const 4) (i32.const 4096))
                (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
                (local.set $n (i32.load (i32.const 8)))
                (br_if $done (i32.eqz (local.get $n)))
                (i32.store (i32.const 4) (local.get $n))
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
                (br $again)))
            (i32.store (i32.const 16) (i32.const 64))
            (i32.store (i32.const 20) (i32.const 9))
            (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 8)))))
        """

    /// A WASI command that writes its whole environment (NUL-separated) to stdout.
    public static let wasiEnvironment = """
        (module
          (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 2)
          (func (export "_start")
            (drop (call $sizes (i32.const 0) (i32.const 4)))
            (drop (call $get (i32.const 1024) (i32.const 8192)))
            (i32.store (i32.const 16) (i32.const 8192))
            (i32.store (i32.const 20) (i32.load (i32.const 4)))
            (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
        """

    /// A WASI command that calls `name` with `arguments` and writes the errno it returned as 4 bytes to
    /// stdout.
    public static func wasiCalling(_ name: String, signature: String, arguments: String, setup: String = "") -> String {
        """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "\(name)" (func $target \(signature)))
          (memory (export "memory") 1)
          (data (i32.const 512) "data/a.txt")
          (func (export "_start")
            \(setup)
            (i32.store (i32.const 32) (call $target \(arguments)))
            (i32.store (i32.const 16) (i32.const 32))
            (i32.store (i32.const 20) (i32.const 4))
            (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
        """
    }

    /// A WASI command shaped like a C program: a mutable shadow-stack global it does not export, moved down
    /// by 16 and left there by `proc_exit(0)`. stdout gets the global's value at entry (4 bytes).
    public static let wasiStackPointer = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
          (memory (export "memory") 1)
          (global $sp (mut i32) (i32.const 65536))
          (func (export "_start")
            (i32.store (i32.const 32) (global.get $sp))
            (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
            (i32.store (i32.const 16) (i32.const 32))
            (i32.store (i32.const 20) (i32.const 4))
            (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
            (call $proc_exit (i32.const 0))))
        """

    /// A WASI command with `response: cgi` output.
    public static let wasiCGI = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 64) "Status: 201 Created\\r\\nContent-Type: text/plain\\r\\n\\r\\nmade")
          (func (export "_start")
            (i32.store (i32.const 16) (i32.const 64))
            (i32.store (i32.const 20) (i32.const 53))
            (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
        """

    /// An `iv` guest whose `iv_main` is `body` (WAT instructions leaving an i32), with one page of memory
    /// and at most `maxPages`.
    public static func ivMain(_ body: String, maxPages: Int? = nil, functions: String = "") -> String {
        """
        (module
          (memory (export "memory") 1 \(maxPages.map(String.init) ?? ""))
          \(functions)
          (func (export "iv_main") (result i32) \(body)))
        """
    }

    /// An `iv` guest that loops forever without a hostcall.
    public static let ivInfiniteLoop = ivMain("(loop $l (br $l)) (i32.const 0)")
    /// An `iv` guest that executes `unreachable`.
    public static let ivUnreachable = ivMain("(unreachable)")
    /// An `iv` guest that recurses without end.
    public static let ivRecursion = ivMain(
        "(call $down (i32.const 0))", functions: "(func $down (param i32) (result i32) (call $down (i32.add (local.get 0) (i32.const 1))))")
    /// An `iv` guest that answers with `memory.grow(pages)` as 8 bytes.
    public static func ivGrow(pages: Int) -> String {
        """
        (module
          (import "intravisor" "response_write" (func $response_write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "iv_main") (result i32)
            (i64.store (i32.const 0) (i64.extend_i32_s (memory.grow (i32.const \(pages)))))
            (drop (call $response_write (i32.const 0) (i32.const 8)))
            (i32.const 0)))
        """
    }

    /// An `iv` guest busy for about `milliseconds` by the monotonic clock (it needs `clock: true`),
    /// then answering `answer`: it holds a compartment for a while without blocking a hostcall.
    public static func busy(milliseconds: Int, answer: String = "done") -> String {
        """
        (module
          (import "intravisor" "clock_ns" (func $clock (param i32) (result i64)))
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "\(answer)")
          (func (export "iv_main") (result i32)
            (local $until i64)
            (local.set $until (i64.add (call $clock (i32.const 1)) (i64.const \(milliseconds * 1_000_000))))
            (block $out
              (loop $wait
                (br_if $out (i64.ge_u (call $clock (i32.const 1)) (local.get $until)))
                (br $wait)))
            (drop (call $write (i32.const 16) (i32.const \(answer.utf8.count))))
            (i32.const 0)))
        """
    }

    /// An `iv` guest that sends the outbound request `block` (it needs an `http` grant for it) and
    /// answers the response's body, or "err" if the request failed: with a ``Gate``, a guest that
    /// runs until the test lets it finish.
    public static func heldCall(_ block: String) -> String {
        """
        (module
          (import "intravisor" "http_request" (func $http (param i32 i32 i32 i32) (result i32)))
          (import "intravisor" "cap_len" (func $caplen (param i32) (result i64)))
          (import "intravisor" "cap_read" (func $capread (param i32 i32 i32 i64) (result i32)))
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "\(block)")
          (data (i32.const 1024) "err")
          (func (export "iv_main") (result i32)
            (local $rc i32)
            (local.set $rc (call $http (i32.const 0) (i32.const \(block.utf8.count)) (i32.const 0) (i32.const 0)))
            (if (i32.lt_s (local.get $rc) (i32.const 0))
              (then
                (drop (call $write (i32.const 1024) (i32.const 3)))
                (return (i32.const 0))))
            (drop (call $write (i32.const 2048)
              (call $capread (local.get $rc) (i32.const 2048) (i32.wrap_i64 (call $caplen (local.get $rc))) (i64.const 0))))
            (i32.const 0)))
        """
    }

    /// An `iv` guest that answers `text` and nothing else.
    public static func constant(_ text: String) -> String {
        """
        (module
          (import "intravisor" "response_write" (func $write (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "\(text)")
          (func (export "iv_main") (result i32)
            (drop (call $write (i32.const 16) (i32.const \(text.utf8.count))))
            (i32.const 0)))
        """
    }
}
