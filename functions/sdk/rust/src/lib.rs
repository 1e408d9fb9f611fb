//! `intravisor` — a std-only Rust SDK for cvmfaas functions.
//!
//! Safe wrappers over every import of the `intravisor` module (the SPEC's "Guest ABIs" table),
//! with the negative error codes turned into [`Error`], and the [`entry!`] / [`init!`] macros
//! that export `iv_main` / `iv_init` for an `abi: iv` function:
//!
//! ```ignore
//! fn main() -> intravisor::Result<()> {
//!     let name = intravisor::request::read_all()?;
//!     intravisor::response::header("Content-Type", "text/plain")?;
//!     intravisor::response::write(b"hello, ")?;
//!     intravisor::response::write(&name)
//! }
//! intravisor::entry!(main);
//! ```
//!
//! Built with plain `rustc` (no cargo, no crates), Rust 2021, rustc 1.63 or later:
//!
//! ```text
//! rustc --crate-type rlib --crate-name intravisor --edition 2021 --target wasm32-unknown-unknown -O lib.rs
//! ```
//!
//! `abi: iv` functions are `cdylib`s for `wasm32-unknown-unknown`: its std needs no import at all,
//! so the module imports only the `intravisor` calls it uses. (A `wasm32-wasi` cdylib would also
//! import `fd_write`, `environ_get`, `environ_sizes_get` and `proc_exit` through std's panic and
//! runtime code, which an `iv` module may not.) `abi: wasi` functions are ordinary `wasm32-wasi`
//! binaries: they may use everything here but [`request`] and [`response`] (stdin and stdout are
//! their request and response), e.g. [`kv`], [`http`], [`log`].
//!
//! Memory: a pointer range outside the compartment's memory, a handle used after it was dropped,
//! or a widening [`Cap::restrict`] are capability *faults* that end the invocation; the safe
//! wrappers never produce the first two. Under `state: reset` memory that grows during an
//! invocation keeps the compartment from being reused: [`reserve_heap`] in `iv_init` lets the
//! allocator take its memory before the snapshot.

use std::fmt;

/// The raw imports of module `intravisor`, exactly as the SPEC lists them. Pointers are addresses
/// in the compartment's memory, lengths are bytes. Prefer the safe wrappers of this crate.
pub mod sys {
    #[link(wasm_import_module = "intravisor")]
    extern "C" {
        #[link_name = "request_len"]
        pub fn request_len() -> i32;
        #[link_name = "request_read"]
        pub fn request_read(dst: *mut u8, len: i32, offset: i32) -> i32;
        #[link_name = "response_write"]
        pub fn response_write(src: *const u8, len: i32) -> i32;
        #[link_name = "response_status"]
        pub fn response_status(code: i32) -> i32;
        #[link_name = "response_header"]
        pub fn response_header(name: *const u8, name_len: i32, value: *const u8, value_len: i32) -> i32;
        #[link_name = "log"]
        pub fn log(src: *const u8, len: i32) -> i32;
        #[link_name = "clock_ns"]
        pub fn clock_ns(clock: i32) -> i64;
        #[link_name = "random"]
        pub fn random(dst: *mut u8, len: i32) -> i32;
        #[link_name = "cap_open"]
        pub fn cap_open(path: *const u8, path_len: i32) -> i32;
        #[link_name = "cap_len"]
        pub fn cap_len(handle: i32) -> i64;
        #[link_name = "cap_read"]
        pub fn cap_read(handle: i32, dst: *mut u8, len: i32, offset: i64) -> i32;
        #[link_name = "cap_restrict"]
        pub fn cap_restrict(handle: i32, offset: i64, len: i64, perms: i32) -> i32;
        #[link_name = "cap_drop"]
        pub fn cap_drop(handle: i32) -> i32;
        #[link_name = "call"]
        pub fn call(name: *const u8, name_len: i32, src: *const u8, len: i32) -> i32;
        #[link_name = "call_status"]
        pub fn call_status(handle: i32) -> i32;
        #[link_name = "http_request"]
        pub fn http_request(req: *const u8, req_len: i32, body: *const u8, body_len: i32) -> i32;
        #[link_name = "http_status"]
        pub fn http_status(handle: i32) -> i32;
        #[link_name = "http_header"]
        pub fn http_header(handle: i32, name: *const u8, name_len: i32, dst: *mut u8, dst_len: i32) -> i32;
        #[link_name = "kv_get"]
        pub fn kv_get(store: *const u8, store_len: i32, key: *const u8, key_len: i32) -> i32;
        #[link_name = "kv_set"]
        pub fn kv_set(
            store: *const u8,
            store_len: i32,
            key: *const u8,
            key_len: i32,
            value: *const u8,
            value_len: i32,
        ) -> i32;
        #[link_name = "kv_delete"]
        pub fn kv_delete(store: *const u8, store_len: i32, key: *const u8, key_len: i32) -> i32;
        #[link_name = "kv_incr"]
        pub fn kv_incr(
            store: *const u8,
            store_len: i32,
            key: *const u8,
            key_len: i32,
            delta: i64,
            out: *mut i64,
        ) -> i32;
        #[link_name = "kv_cas"]
        pub fn kv_cas(
            store: *const u8,
            store_len: i32,
            key: *const u8,
            key_len: i32,
            expected: *const u8,
            expected_len: i32,
            value: *const u8,
            value_len: i32,
        ) -> i32;
        #[link_name = "kv_keys"]
        pub fn kv_keys(store: *const u8, store_len: i32, prefix: *const u8, prefix_len: i32, limit: i32) -> i32;
    }
}

// ---- Errors ------------------------------------------------------------------------------------

/// An error an `intravisor` call answered (its negative return code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// -1: the manifest does not grant it (a path outside `files`, a function not in `invoke`, a
    /// URL no `http` grant matches, a store not in `kv`).
    NotGranted,
    /// -2: no such thing (a CAP-File path, a callee, a key, a response header).
    NotFound,
    /// -3: too large (a response past its limit, a value over 1 MiB, a full handle table).
    TooLarge,
    /// -4: a called function failed, or an outbound HTTP request did (DNS, connection, TLS, deadline).
    CalleeFailed,
    /// -5: a limit was reached (more than 16 outbound requests, a full key-value store).
    Limit,
    /// -6: an invalid argument (a malformed URL, method or header, a bad store name or key, a
    /// value `kv::incr` cannot add to).
    Invalid,
    /// -7: `kv::cas` found another value than the one expected.
    Conflict,
    /// Any other negative code.
    Other(i32),
}

impl Error {
    /// The error of a negative return code (`-1` is [`Error::NotGranted`], ...).
    pub fn from_code(code: i32) -> Error {
        match code {
            -1 => Error::NotGranted,
            -2 => Error::NotFound,
            -3 => Error::TooLarge,
            -4 => Error::CalleeFailed,
            -5 => Error::Limit,
            -6 => Error::Invalid,
            -7 => Error::Conflict,
            other => Error::Other(other),
        }
    }

    /// The return code this error stands for (`Error::NotGranted.code() == -1`).
    pub fn code(self) -> i32 {
        match self {
            Error::NotGranted => -1,
            Error::NotFound => -2,
            Error::TooLarge => -3,
            Error::CalleeFailed => -4,
            Error::Limit => -5,
            Error::Invalid => -6,
            Error::Conflict => -7,
            Error::Other(code) => code,
        }
    }

    /// A short description, the same words as the C SDK's `iv_strerror`.
    pub fn as_str(self) -> &'static str {
        match self {
            Error::NotGranted => "not granted",
            Error::NotFound => "not found",
            Error::TooLarge => "too large",
            Error::CalleeFailed => "callee failed",
            Error::Limit => "limit reached",
            Error::Invalid => "invalid argument",
            Error::Conflict => "conflict",
            Error::Other(_) => "unknown error",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Other(code) => write!(f, "unknown error ({})", code),
            other => f.write_str(other.as_str()),
        }
    }
}

impl std::error::Error for Error {}

/// The result of an `intravisor` call.
pub type Result<T> = std::result::Result<T, Error>;

fn check(rc: i32) -> Result<i32> {
    if rc < 0 {
        Err(Error::from_code(rc))
    } else {
        Ok(rc)
    }
}

fn check64(rc: i64) -> Result<i64> {
    if rc < 0 {
        Err(Error::from_code(rc.max(i32::MIN as i64) as i32))
    } else {
        Ok(rc)
    }
}

/// A length the host is handed: [`Error::TooLarge`] past `i32::MAX` (no such object fits anyway).
fn len32(len: usize) -> Result<i32> {
    if len > i32::MAX as usize {
        Err(Error::TooLarge)
    } else {
        Ok(len as i32)
    }
}

/// The length of a buffer being filled: reading less than asked is allowed, so it is clamped.
fn cap32(len: usize) -> i32 {
    len.min(i32::MAX as usize) as i32
}

// ---- Request and response (abi: iv only) ------------------------------------------------------

/// The request body (`abi: iv` only; under `abi: wasi` it is stdin).
pub mod request {
    use super::{cap32, check, Result};

    /// The length in bytes of the request body.
    pub fn len() -> usize {
        let n = unsafe { super::sys::request_len() };
        if n < 0 {
            0
        } else {
            n as usize
        }
    }

    /// Copies request bytes from `offset` into `buf`; returns how many (0 at or past the end).
    pub fn read(buf: &mut [u8], offset: usize) -> Result<usize> {
        if offset > i32::MAX as usize {
            return Ok(0);
        }
        let n = unsafe { super::sys::request_read(buf.as_mut_ptr(), cap32(buf.len()), offset as i32) };
        check(n).map(|n| n as usize)
    }

    /// The whole request body.
    pub fn read_all() -> Result<Vec<u8>> {
        let total = len();
        let mut body = vec![0u8; total];
        let mut done = 0;
        while done < total {
            let n = read(&mut body[done..], done)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        body.truncate(done);
        Ok(body)
    }
}

/// The response: status, headers and body (`abi: iv` only; under `abi: wasi` it is stdout).
pub mod response {
    use super::{check, len32, Error, Result};

    /// Sets the HTTP status (default 200). [`Error::Invalid`] (or another error) for a bad code.
    pub fn status(code: u16) -> Result<()> {
        check(unsafe { super::sys::response_status(code as i32) }).map(|_| ())
    }

    /// Adds the response header `name: value`.
    pub fn header(name: &str, value: &str) -> Result<()> {
        let rc = unsafe {
            super::sys::response_header(name.as_ptr(), len32(name.len())?, value.as_ptr(), len32(value.len())?)
        };
        check(rc).map(|_| ())
    }

    /// Appends `data` to the response body, all of it, or [`Error::TooLarge`] once the response
    /// limit (6 MiB by default) would be passed.
    pub fn write(data: &[u8]) -> Result<()> {
        let mut rest = data;
        while !rest.is_empty() {
            let chunk = &rest[..rest.len().min(i32::MAX as usize)];
            let n = check(unsafe { super::sys::response_write(chunk.as_ptr(), len32(chunk.len())?) })? as usize;
            if n == 0 {
                return Err(Error::TooLarge);
            }
            rest = &rest[n.min(rest.len())..];
        }
        Ok(())
    }

    /// [`write`] of a string.
    pub fn write_str(text: &str) -> Result<()> {
        write(text.as_bytes())
    }

    /// The response body as a `std::io::Write`: `write!(response::Body, "{}\n", n)`.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Body;

    impl std::io::Write for Body {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            write(buf).map(|_| buf.len()).map_err(super::io_error)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}

fn io_error(error: Error) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Other, error)
}

// ---- Log, clock, random ------------------------------------------------------------------------

/// Appends `message` to the activation's log (64 KiB kept per activation; past that the platform
/// truncates, so there is nothing to report back).
pub fn log(message: &str) {
    log_bytes(message.as_bytes());
}

/// [`log`] of raw bytes.
pub fn log_bytes(message: &[u8]) {
    unsafe {
        sys::log(message.as_ptr(), cap32(message.len()));
    }
}

/// A clock of [`clock_ns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Nanoseconds since the Unix epoch.
    Realtime = 0,
    /// Nanoseconds since an arbitrary point, never going back.
    Monotonic = 1,
}

/// Nanoseconds on `clock`. Needs `capabilities: {clock: true}` (a module importing it without the
/// grant is refused at deploy time).
pub fn clock_ns(clock: Clock) -> Result<u64> {
    check64(unsafe { sys::clock_ns(clock as i32) }).map(|ns| ns as u64)
}

/// Fills `buf` with random bytes. Needs `capabilities: {random: true}`.
pub fn random(buf: &mut [u8]) -> Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        let n = check(unsafe { sys::random(rest.as_mut_ptr(), cap32(rest.len())) })? as usize;
        if n == 0 {
            return Err(Error::Other(0));
        }
        done += n;
    }
    Ok(())
}

// ---- Handles: CAP-Files and every other object the host hands out ------------------------------

/// A handle in the compartment's capability table: a read-only CAP-File ([`Cap::open`]), a call's
/// or an HTTP request's response body, a key-value value. Dropped (`cap_drop`) when it goes out of
/// scope, or by [`Cap::close`]; the host also drops every handle at the end of the invocation.
#[derive(Debug)]
pub struct Cap {
    handle: i32,
}

impl Cap {
    /// Permission bit of [`Cap::restrict`]: read.
    pub const READ: i32 = 1;
    /// Permission bit of [`Cap::restrict`]: write.
    pub const WRITE: i32 = 2;

    /// Opens the archive file at `path` (relative, e.g. `data/words.txt`). Needs
    /// `capabilities: {files: [...]}` covering it: else [`Error::NotGranted`]; absent: [`Error::NotFound`].
    pub fn open(path: &str) -> Result<Cap> {
        let handle = check(unsafe { sys::cap_open(path.as_ptr(), len32(path.len())?) })?;
        Ok(Cap { handle })
    }

    /// Takes ownership of a raw handle (e.g. from [`sys`]); it is dropped with the `Cap`.
    ///
    /// # Safety
    /// `handle` must be a live handle that nothing else drops: using a dropped handle is a `tag`
    /// fault that ends the invocation.
    pub unsafe fn from_raw(handle: i32) -> Cap {
        Cap { handle }
    }

    /// The raw handle, still owned by this `Cap`.
    pub fn as_raw(&self) -> i32 {
        self.handle
    }

    /// The raw handle, no longer dropped by a `Cap`.
    pub fn into_raw(self) -> i32 {
        let handle = self.handle;
        std::mem::forget(self);
        handle
    }

    /// Length in bytes of the object.
    pub fn len(&self) -> Result<u64> {
        check64(unsafe { sys::cap_len(self.handle) }).map(|n| n as u64)
    }

    /// Whether the object is empty.
    pub fn is_empty(&self) -> Result<bool> {
        self.len().map(|n| n == 0)
    }

    /// Copies bytes from `offset` (relative to the handle's base) into `buf`; returns how many
    /// (0 at or past the end).
    pub fn read(&self, buf: &mut [u8], offset: u64) -> Result<usize> {
        let offset = offset.min(i64::MAX as u64) as i64;
        let n = unsafe { sys::cap_read(self.handle, buf.as_mut_ptr(), cap32(buf.len()), offset) };
        check(n).map(|n| n as usize)
    }

    /// The whole object. [`Error::TooLarge`] if it cannot be held in memory.
    pub fn read_all(&self) -> Result<Vec<u8>> {
        let total = self.len()?;
        if total > isize::MAX as u64 {
            return Err(Error::TooLarge);
        }
        let total = total as usize;
        let mut data = Vec::new();
        if data.try_reserve_exact(total).is_err() {
            return Err(Error::TooLarge);
        }
        data.resize(total, 0);
        let mut done = 0;
        while done < total {
            let n = self.read(&mut data[done..], done as u64)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        data.truncate(done);
        Ok(data)
    }

    /// A new handle over `[offset, offset+len)` of this one with permissions `perms`
    /// ([`Cap::READ`], [`Cap::WRITE`]). It may only narrow: a range outside this one, or a
    /// permission this one lacks, is a `permission` fault that ends the invocation. This handle
    /// stays valid.
    pub fn restrict(&self, offset: u64, len: u64, perms: i32) -> Result<Cap> {
        let offset = offset.min(i64::MAX as u64) as i64;
        let len = len.min(i64::MAX as u64) as i64;
        let handle = check(unsafe { sys::cap_restrict(self.handle, offset, len, perms) })?;
        Ok(Cap { handle })
    }

    /// Drops the handle now (as `Drop` would), reporting the host's answer.
    pub fn close(self) -> Result<()> {
        check(unsafe { sys::cap_drop(self.into_raw()) }).map(|_| ())
    }
}

impl Drop for Cap {
    fn drop(&mut self) {
        unsafe {
            sys::cap_drop(self.handle);
        }
    }
}

// ---- CAP-Calls (abi: iv, needs `capabilities: {invoke: [...]}`) --------------------------------

/// The answer of [`call`]: its status and a handle over its body.
#[derive(Debug)]
pub struct CallResponse {
    cap: Cap,
}

impl CallResponse {
    /// The HTTP status the callee answered.
    pub fn status(&self) -> Result<u16> {
        check(unsafe { sys::call_status(self.cap.as_raw()) }).map(|s| s as u16)
    }

    /// The callee's whole response body.
    pub fn body(&self) -> Result<Vec<u8>> {
        self.cap.read_all()
    }

    /// The handle over the body (for [`Cap::len`], [`Cap::read`], [`Cap::restrict`]).
    pub fn cap(&self) -> &Cap {
        &self.cap
    }

    /// The handle over the body, kept past this `CallResponse`.
    pub fn into_cap(self) -> Cap {
        self.cap
    }
}

/// Invokes function `name` with `body` and waits for its answer. Needs `capabilities: {invoke:
/// [name]}`: else [`Error::NotGranted`]; [`Error::NotFound`] for no such function;
/// [`Error::CalleeFailed`] when it trapped, faulted, timed out or exited non-zero.
pub fn call(name: &str, body: &[u8]) -> Result<CallResponse> {
    let handle = check(unsafe { sys::call(name.as_ptr(), len32(name.len())?, body.as_ptr(), len32(body.len())?) })?;
    Ok(CallResponse { cap: Cap { handle } })
}

// ---- Outbound HTTP (needs `capabilities: {http: [...]}`) ---------------------------------------

/// Outbound HTTP: `http::Request::get(url).header("Accept", "application/json").send()?`.
pub mod http {
    use super::{cap32, check, len32, Cap, Error, Result};

    /// An outbound request being built. Sent by [`Request::send`].
    #[derive(Debug, Clone)]
    pub struct Request {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    }

    impl Request {
        /// A request with `method` (GET HEAD POST PUT PATCH DELETE OPTIONS) to `url`.
        pub fn new(method: &str, url: &str) -> Request {
            Request { method: method.to_string(), url: url.to_string(), headers: Vec::new(), body: Vec::new() }
        }

        /// A GET of `url`.
        pub fn get(url: &str) -> Request {
            Request::new("GET", url)
        }

        /// A POST to `url`.
        pub fn post(url: &str) -> Request {
            Request::new("POST", url)
        }

        /// A PUT to `url`.
        pub fn put(url: &str) -> Request {
            Request::new("PUT", url)
        }

        /// A DELETE of `url`.
        pub fn delete(url: &str) -> Request {
            Request::new("DELETE", url)
        }

        /// Sets the method.
        pub fn method(mut self, method: &str) -> Request {
            self.method = method.to_string();
            self
        }

        /// Sets the URL.
        pub fn url(mut self, url: &str) -> Request {
            self.url = url.to_string();
            self
        }

        /// Adds a header (`Host`, `Content-Length`, `Transfer-Encoding` and `Connection` are the
        /// platform's and are dropped).
        pub fn header(mut self, name: &str, value: &str) -> Request {
            self.headers.push((name.to_string(), value.to_string()));
            self
        }

        /// Sets the body (at most 6 MiB).
        pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
            self.body = body.into();
            self
        }

        /// The request block the `http_request` import takes: `METHOD URL`, then `Name: value`
        /// lines, separated by `\n`. [`Error::Invalid`] when a part holds CR, LF or NUL (or a
        /// name a colon), which would change the block's meaning.
        pub fn block(&self) -> Result<String> {
            let breaks = |s: &str| s.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0);
            if self.method.is_empty() || self.method.contains(' ') || breaks(&self.method) {
                return Err(Error::Invalid);
            }
            if self.url.is_empty() || breaks(&self.url) {
                return Err(Error::Invalid);
            }
            let mut block = format!("{} {}", self.method, self.url);
            for (name, value) in &self.headers {
                if name.is_empty() || name.contains(':') || breaks(name) || breaks(value) {
                    return Err(Error::Invalid);
                }
                block.push('\n');
                block.push_str(name);
                block.push_str(": ");
                block.push_str(value);
            }
            Ok(block)
        }

        /// Makes the request and waits for its answer (redirects are answers, not followed).
        /// [`Error::NotGranted`] when no grant matches (or the host resolves to a private address
        /// the grant does not name), [`Error::Invalid`], [`Error::TooLarge`] (a body over 6 MiB),
        /// [`Error::Limit`] (more than 16 requests in this invocation), [`Error::CalleeFailed`]
        /// (DNS, connection, TLS, protocol, the invocation's deadline).
        pub fn send(&self) -> Result<Response> {
            let block = self.block()?;
            let handle = check(unsafe {
                super::sys::http_request(
                    block.as_ptr(),
                    len32(block.len())?,
                    self.body.as_ptr(),
                    len32(self.body.len())?,
                )
            })?;
            Ok(Response { cap: Cap { handle } })
        }
    }

    /// The answer of an outbound request: status, headers, and a handle over its body.
    #[derive(Debug)]
    pub struct Response {
        cap: Cap,
    }

    impl Response {
        /// The status code.
        pub fn status(&self) -> u16 {
            let status = unsafe { super::sys::http_status(self.cap.as_raw()) };
            if status < 0 {
                0
            } else {
                status as u16
            }
        }

        /// The first value of header `name` (case-insensitive), or `None` when absent (or
        /// unreadable; [`Response::header_bytes`] tells which).
        pub fn header(&self, name: &str) -> Option<String> {
            match self.header_bytes(name) {
                Ok(Some(value)) => Some(String::from_utf8_lossy(&value).into_owned()),
                _ => None,
            }
        }

        /// The first value of header `name` as bytes: `Ok(None)` when absent.
        pub fn header_bytes(&self, name: &str) -> Result<Option<Vec<u8>>> {
            let name_len = len32(name.len())?;
            let mut cap = 256usize;
            loop {
                let mut buf = vec![0u8; cap];
                let rc = unsafe {
                    super::sys::http_header(self.cap.as_raw(), name.as_ptr(), name_len, buf.as_mut_ptr(), cap32(cap))
                };
                match check(rc) {
                    Ok(n) => {
                        buf.truncate(n as usize);
                        return Ok(Some(buf));
                    }
                    Err(Error::NotFound) => return Ok(None),
                    // The value did not fit (nothing was copied): try again with room for it.
                    Err(Error::TooLarge) if cap < (8 << 20) => cap *= 4,
                    Err(error) => return Err(error),
                }
            }
        }

        /// The whole body.
        pub fn body(&self) -> Result<Vec<u8>> {
            self.cap.read_all()
        }

        /// The body as text (invalid UTF-8 replaced).
        pub fn text(&self) -> Result<String> {
            self.body().map(|b| String::from_utf8_lossy(&b).into_owned())
        }

        /// The handle over the body (for [`Cap::len`], [`Cap::read`]).
        pub fn cap(&self) -> &Cap {
            &self.cap
        }

        /// The handle over the body, kept past this `Response`.
        pub fn into_cap(self) -> Cap {
            self.cap
        }
    }
}

// ---- Key-value stores (need `capabilities: {kv: [store, ...]}`) --------------------------------

/// Key-value stores. Keys are 1-512 bytes of UTF-8, values at most 1 MiB ([`Error::TooLarge`]).
/// Every call is atomic, and durable when it returns. A store not granted is
/// [`Error::NotGranted`]; a bad store name or key [`Error::Invalid`]; a full store [`Error::Limit`].
pub mod kv {
    use super::{check, len32, Cap, Error, Result};

    /// The value of `key`, or `None` when absent.
    pub fn get(store: &str, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>> {
        let key = key.as_ref();
        let rc = unsafe { super::sys::kv_get(store.as_ptr(), len32(store.len())?, key.as_ptr(), len32(key.len())?) };
        match check(rc) {
            Ok(handle) => Cap { handle }.read_all().map(Some),
            Err(Error::NotFound) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Sets `key` to `value`.
    pub fn set(store: &str, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Result<()> {
        let (key, value) = (key.as_ref(), value.as_ref());
        let rc = unsafe {
            super::sys::kv_set(
                store.as_ptr(),
                len32(store.len())?,
                key.as_ptr(),
                len32(key.len())?,
                value.as_ptr(),
                len32(value.len())?,
            )
        };
        check(rc).map(|_| ())
    }

    /// Deletes `key`: `true` when it was there, `false` when there was nothing to delete.
    pub fn delete(store: &str, key: impl AsRef<[u8]>) -> Result<bool> {
        let key = key.as_ref();
        let rc = unsafe { super::sys::kv_delete(store.as_ptr(), len32(store.len())?, key.as_ptr(), len32(key.len())?) };
        match check(rc) {
            Ok(_) => Ok(true),
            Err(Error::NotFound) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Adds `delta` to the decimal integer stored at `key` (absent counts as 0), stores the sum
    /// and answers it. [`Error::Invalid`] when the value is not a decimal integer.
    pub fn incr(store: &str, key: impl AsRef<[u8]>, delta: i64) -> Result<i64> {
        let key = key.as_ref();
        let mut out: i64 = 0;
        let rc = unsafe {
            super::sys::kv_incr(store.as_ptr(), len32(store.len())?, key.as_ptr(), len32(key.len())?, delta, &mut out)
        };
        check(rc).map(|_| out)
    }

    /// Replaces the value of `key` with `value` only if it is now `expected` (`None`: only if
    /// `key` is absent). `Ok(true)` when swapped, `Ok(false)` when another value was there (the
    /// import's [`Error::Conflict`]).
    pub fn cas(store: &str, key: impl AsRef<[u8]>, expected: Option<&[u8]>, value: impl AsRef<[u8]>) -> Result<bool> {
        let (key, value) = (key.as_ref(), value.as_ref());
        let (expected_ptr, expected_len) = match expected {
            Some(bytes) => (bytes.as_ptr(), len32(bytes.len())?),
            None => (std::ptr::null(), -1),
        };
        let rc = unsafe {
            super::sys::kv_cas(
                store.as_ptr(),
                len32(store.len())?,
                key.as_ptr(),
                len32(key.len())?,
                expected_ptr,
                expected_len,
                value.as_ptr(),
                len32(value.len())?,
            )
        };
        match check(rc) {
            Ok(_) => Ok(true),
            Err(Error::Conflict) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// The keys starting with `prefix` (`""`: all), in byte order, at most `limit` (at most 10,000).
    pub fn keys(store: &str, prefix: impl AsRef<[u8]>, limit: u32) -> Result<Vec<String>> {
        let prefix = prefix.as_ref();
        let limit = limit.min(i32::MAX as u32) as i32;
        let handle = check(unsafe {
            super::sys::kv_keys(store.as_ptr(), len32(store.len())?, prefix.as_ptr(), len32(prefix.len())?, limit)
        })?;
        let list = Cap { handle }.read_all()?;
        Ok(String::from_utf8_lossy(&list).split('\n').filter(|k| !k.is_empty()).map(str::to_string).collect())
    }
}

// ---- Memory ------------------------------------------------------------------------------------

/// Makes the allocator take `bytes` of memory now and keep it (for later allocations) once freed.
/// Call it in `iv_init` ([`init!`]): memory that grows during an invocation cannot be restored to
/// the snapshot, so under `state: reset` that compartment is not reused and the next call is cold.
pub fn reserve_heap(bytes: usize) {
    if bytes == 0 {
        return;
    }
    let mut block: Vec<u8> = Vec::with_capacity(bytes);
    // A volatile write, so the allocation is not optimized away.
    unsafe { std::ptr::write_volatile(block.as_mut_ptr(), 0) };
    drop(block);
}

// ---- Entry points ------------------------------------------------------------------------------

/// What the [`entry!`] and [`init!`] macros expand to. Not a stable interface.
#[doc(hidden)]
pub mod __private {
    use std::fmt::Display;

    /// Sends panic messages to the activation's log (std's own hook would print to a stderr an
    /// `iv` module does not have). The panic then aborts: a trap, 502 `function_trap`.
    pub fn install_panic_hook() {
        std::panic::set_hook(Box::new(|info| {
            super::log(&format!("panic: {}\n", info));
        }));
    }

    /// Runs an entry function: 0 for `Ok`, 1 (after logging the error) for `Err`.
    pub fn run<E: Display>(what: &str, entry: impl FnOnce() -> Result<(), E>) -> i32 {
        install_panic_hook();
        match entry() {
            Ok(()) => 0,
            Err(error) => {
                super::log(&format!("{}: {}\n", what, error));
                1
            }
        }
    }
}

/// Exports `iv_main`, one invocation, running `$main: fn() -> Result<(), E>` (`E: Display`, e.g.
/// [`Error`] or `Box<dyn std::error::Error>`): `Ok` is success, `Err` is logged and answers 502
/// `function_error`. A panic is logged and traps (502 `function_trap`).
///
/// ```ignore
/// fn main() -> intravisor::Result<()> { intravisor::response::write(b"hi\n") }
/// intravisor::entry!(main);
/// ```
#[macro_export]
macro_rules! entry {
    ($main:expr) => {
        #[no_mangle]
        pub extern "C" fn iv_main() -> i32 {
            $crate::__private::run("iv_main", $main)
        }
    };
}

/// Exports `iv_init`, run once when a compartment is created: what it leaves in memory is the
/// snapshot every invocation starts from. `Err` fails the deploy (422).
///
/// ```ignore
/// fn init() -> intravisor::Result<()> { intravisor::reserve_heap(64 << 10); Ok(()) }
/// intravisor::init!(init);
/// ```
#[macro_export]
macro_rules! init {
    ($init:expr) => {
        #[no_mangle]
        pub extern "C" fn iv_init() -> i32 {
            $crate::__private::run("iv_init", $init)
        }
    };
}
