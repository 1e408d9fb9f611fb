/*
 * intravisor.h — header-only C SDK for functions written against the cvmfaas `iv` ABI.
 *
 * An `iv` function is a WebAssembly reactor that exports `iv_main` (one invocation, 0 = success)
 * and optionally `iv_init` (run once when a compartment is created; what it leaves in memory is
 * the snapshot every invocation starts from). Its only way out of its compartment is the
 * `intravisor` import module declared below. This header needs no libc: it includes only
 * <stddef.h> and <stdint.h>, which clang ships itself, so
 *
 *     clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -I functions/sdk my.c -o my.wasm
 *
 * builds a guest with the toolchain's clang alone. Linking wasi-libc (`-lc`) for string or math
 * functions works too; calls that need WASI (printf, fopen, ...) do not, because an `iv` module
 * may import nothing but `intravisor` functions.
 *
 * Every pointer is an address in the compartment's own linear memory. A range that does not lie
 * inside that memory is a capability *fault* (`bounds`), not an error code: the invocation ends
 * with 502 capability_fault and the compartment is destroyed. Likewise a handle that was never
 * issued or was dropped (`tag`) and a widening `iv_cap_restrict` (`permission`). Errors a guest
 * may handle come back as the negative IV_ERR_* codes below.
 *
 *     #include "intravisor.h"
 *     IV_EXPORT(iv_main) int iv_main(void) {
 *         iv_header_str("Content-Type", "text/plain");
 *         iv_write_str("hello from a compartment\n");
 *         return 0;
 *     }
 */
#ifndef CVMFAAS_INTRAVISOR_H
#define CVMFAAS_INTRAVISOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Errors and constants ------------------------------------------------------------------ */

/** Success (calls that return a count return it instead). */
#define IV_OK 0
/** The manifest does not grant what the call needs (e.g. a CAP-File path outside `files`). */
#define IV_ERR_NOT_GRANTED (-1)
/** No such thing: a CAP-File path absent from the archive, or a callee function that does not exist. */
#define IV_ERR_NOT_FOUND (-2)
/** Too large: a response beyond the limit, a full handle table, a value that does not fit. */
#define IV_ERR_TOO_LARGE (-3)
/** A function called through `iv_call` failed (trap, fault, timeout, non-zero exit), or an outbound
 *  HTTP request failed (DNS, connection, TLS, the deadline). */
#define IV_ERR_CALLEE_FAILED (-4)
/** A limit was reached: more than 16 outbound requests in one invocation, a full key-value store. */
#define IV_ERR_LIMIT (-5)
/** An invalid argument: a malformed URL, method or header, a bad store name or key, a value
 *  `iv_kv_incr` cannot add to. */
#define IV_ERR_INVALID (-6)
/** `iv_kv_cas` found another value than the one expected. */
#define IV_ERR_CONFLICT (-7)

/** `iv_clock_ns` clock ids. */
#define IV_CLOCK_REALTIME 0
#define IV_CLOCK_MONOTONIC 1

/** `iv_cap_restrict` permission bits: a restricted handle may only keep or drop bits. */
#define IV_PERM_READ 1
#define IV_PERM_WRITE 2

/** A handle in the compartment's capability table (>= 1), or a negative IV_ERR_* code. */
typedef int32_t iv_handle;

/** Exports a function under `name`, e.g. `IV_EXPORT(iv_main) int iv_main(void) { ... }`. */
#define IV_EXPORT(name) __attribute__((export_name(#name), visibility("default")))

/** Returns a short, constant description of an IV_ERR_* code (or "ok" for >= 0). */
static inline const char *iv_strerror(int64_t code) {
    switch (code) {
    case IV_ERR_NOT_GRANTED: return "not granted";
    case IV_ERR_NOT_FOUND: return "not found";
    case IV_ERR_TOO_LARGE: return "too large";
    case IV_ERR_CALLEE_FAILED: return "callee failed";
    case IV_ERR_LIMIT: return "limit reached";
    case IV_ERR_INVALID: return "invalid argument";
    case IV_ERR_CONFLICT: return "conflict";
    default: return code < 0 ? "unknown error" : "ok";
    }
}

/* ---- Raw imports (module "intravisor", exactly as SPEC.md lists them) ----------------------- */
/* Named __iv_* so they never collide with libc's `log` or `random`. Use the typed wrappers. */

#define IV_IMPORT(name) __attribute__((import_module("intravisor"), import_name(#name)))

IV_IMPORT(request_len) int32_t __iv_request_len(void);
IV_IMPORT(request_read) int32_t __iv_request_read(void *dst, int32_t len, int32_t offset);
IV_IMPORT(response_write) int32_t __iv_response_write(const void *src, int32_t len);
IV_IMPORT(response_status) int32_t __iv_response_status(int32_t code);
IV_IMPORT(response_header)
int32_t __iv_response_header(const void *name, int32_t name_len, const void *value, int32_t value_len);
IV_IMPORT(log) int32_t __iv_log(const void *src, int32_t len);
IV_IMPORT(clock_ns) int64_t __iv_clock_ns(int32_t clock);
IV_IMPORT(random) int32_t __iv_random(void *dst, int32_t len);
IV_IMPORT(cap_open) int32_t __iv_cap_open(const void *path, int32_t path_len);
IV_IMPORT(cap_len) int64_t __iv_cap_len(int32_t handle);
IV_IMPORT(cap_read) int32_t __iv_cap_read(int32_t handle, void *dst, int32_t len, int64_t offset);
IV_IMPORT(cap_restrict) int32_t __iv_cap_restrict(int32_t handle, int64_t offset, int64_t len, int32_t perms);
IV_IMPORT(cap_drop) int32_t __iv_cap_drop(int32_t handle);
IV_IMPORT(call) int32_t __iv_call(const void *name, int32_t name_len, const void *src, int32_t len);
IV_IMPORT(call_status) int32_t __iv_call_status(int32_t handle);
IV_IMPORT(http_request) int32_t __iv_http_request(const void *req, int32_t req_len, const void *body, int32_t body_len);
IV_IMPORT(http_status) int32_t __iv_http_status(int32_t handle);
IV_IMPORT(http_header)
int32_t __iv_http_header(int32_t handle, const void *name, int32_t name_len, void *dst, int32_t dst_len);
IV_IMPORT(kv_get) int32_t __iv_kv_get(const void *store, int32_t store_len, const void *key, int32_t key_len);
IV_IMPORT(kv_set)
int32_t __iv_kv_set(const void *store, int32_t store_len, const void *key, int32_t key_len, const void *value,
                    int32_t value_len);
IV_IMPORT(kv_delete) int32_t __iv_kv_delete(const void *store, int32_t store_len, const void *key, int32_t key_len);
IV_IMPORT(kv_incr)
int32_t __iv_kv_incr(const void *store, int32_t store_len, const void *key, int32_t key_len, int64_t delta,
                     int64_t *out);
IV_IMPORT(kv_cas)
int32_t __iv_kv_cas(const void *store, int32_t store_len, const void *key, int32_t key_len, const void *expected,
                    int32_t expected_len, const void *value, int32_t value_len);
IV_IMPORT(kv_keys)
int32_t __iv_kv_keys(const void *store, int32_t store_len, const void *prefix, int32_t prefix_len, int32_t limit);

/* ---- Request ------------------------------------------------------------------------------- */

/** Length in bytes of the request body. Needs no grant. */
static inline int32_t iv_request_len(void) { return __iv_request_len(); }

/**
 * Copies up to `len` bytes of the request body, starting `offset` bytes into it, to `dst`.
 * Returns the number of bytes copied (0 at or past the end). `[dst, dst+len)` must lie in memory.
 */
static inline int32_t iv_request_read(void *dst, size_t len, size_t offset) {
    return __iv_request_read(dst, (int32_t)len, (int32_t)offset);
}

/**
 * Reads the whole request body into `buf` (capacity `cap`).
 * Returns its length, or IV_ERR_TOO_LARGE (reading nothing) when it does not fit.
 */
static inline int32_t iv_request_read_all(void *buf, size_t cap) {
    int32_t total = __iv_request_len();
    if (total < 0) return total;
    if ((size_t)total > cap) return IV_ERR_TOO_LARGE;
    int32_t done = 0;
    while (done < total) {
        int32_t n = __iv_request_read((char *)buf + done, total - done, done);
        if (n <= 0) return n < 0 ? n : done;
        done += n;
    }
    return done;
}

/* ---- Response ------------------------------------------------------------------------------ */

/**
 * Appends `len` bytes at `src` to the response body. Returns the bytes accepted, or
 * IV_ERR_TOO_LARGE once the response limit (6 MiB by default) would be exceeded.
 */
static inline int32_t iv_response_write(const void *src, size_t len) { return __iv_response_write(src, (int32_t)len); }

/** Sets the HTTP status of the response (default 200). Returns 0, or a negative code for a bad status. */
static inline int32_t iv_response_status(int code) { return __iv_response_status(code); }

/** Adds a response header `name: value` (byte ranges, not NUL-terminated). Returns 0 or a negative code. */
static inline int32_t iv_response_header(const char *name, size_t name_len, const char *value, size_t value_len) {
    return __iv_response_header(name, (int32_t)name_len, value, (int32_t)value_len);
}

/** Appends `len` bytes to the activation's log (64 KiB kept per activation). Returns bytes accepted. */
static inline int32_t iv_log(const void *src, size_t len) { return __iv_log(src, (int32_t)len); }

/* ---- Clock and random (need `capabilities: {clock: true}` / `{random: true}`) -------------- */

/**
 * Nanoseconds on `clock` (IV_CLOCK_REALTIME since the Unix epoch, or IV_CLOCK_MONOTONIC).
 * Needs the `clock` grant: a module importing it without the grant is refused at deploy time.
 */
static inline int64_t iv_clock_ns(int clock) { return __iv_clock_ns(clock); }

/** Fills `[dst, dst+len)` with random bytes. Returns the bytes written. Needs the `random` grant. */
static inline int32_t iv_random(void *dst, size_t len) { return __iv_random(dst, (int32_t)len); }

/* ---- CAP-Files (need `capabilities: {files: [...]}`) -------------------------------------- */

/**
 * Opens the archive file at `path` (relative, e.g. "data/words.txt") as a read-only CAP-File.
 * Returns its handle, IV_ERR_NOT_GRANTED when `files` does not cover the path, or IV_ERR_NOT_FOUND.
 */
static inline iv_handle iv_cap_open(const char *path, size_t path_len) { return __iv_cap_open(path, (int32_t)path_len); }

/** Length in bytes of the object `handle` names (a CAP-File, or a call's response body). */
static inline int64_t iv_cap_len(iv_handle handle) { return __iv_cap_len(handle); }

/**
 * Copies up to `len` bytes of the object `handle` names, from `offset` (relative to the handle's
 * base), to `dst`. Returns the bytes copied (0 at or past the end).
 */
static inline int32_t iv_cap_read(iv_handle handle, void *dst, size_t len, uint64_t offset) {
    return __iv_cap_read(handle, dst, (int32_t)len, (int64_t)offset);
}

/**
 * Derives a new handle over `[offset, offset+len)` of `handle` with permissions `perms`
 * (IV_PERM_* mask). It may only narrow: a range outside the old one, or a permission it lacks, is a
 * `permission` fault that ends the invocation. The old handle stays valid.
 */
static inline iv_handle iv_cap_restrict(iv_handle handle, uint64_t offset, uint64_t len, int32_t perms) {
    return __iv_cap_restrict(handle, (int64_t)offset, (int64_t)len, perms);
}

/** Drops `handle`; using it afterwards is a `tag` fault. Returns 0. */
static inline int32_t iv_cap_drop(iv_handle handle) { return __iv_cap_drop(handle); }

/* ---- CAP-Calls (need `capabilities: {invoke: [...]}`) ------------------------------------- */

/**
 * Invokes function `name` with body `[src, src+len)` and waits for it. Returns a handle over the
 * callee's response body (read it with iv_cap_len / iv_cap_read, its status with iv_call_status,
 * release it with iv_cap_drop), or IV_ERR_NOT_GRANTED (name not in `invoke`), IV_ERR_NOT_FOUND,
 * IV_ERR_CALLEE_FAILED.
 */
static inline iv_handle iv_call(const char *name, size_t name_len, const void *src, size_t len) {
    return __iv_call(name, (int32_t)name_len, src, (int32_t)len);
}

/** HTTP status of the call whose response `handle` names. */
static inline int32_t iv_call_status(iv_handle handle) { return __iv_call_status(handle); }

/* ---- Outbound HTTP (needs `capabilities: {http: ["https://host", ...]}`) ------------------ */
/* Also available to `abi: wasi` modules (all intravisor imports are, but request_* and response_*). */

/**
 * Makes an HTTP request. `req` is the request block: "METHOD URL" then "Name: value" lines, all
 * separated by "\n" (e.g. "GET https://api.example.com/v1\nAccept: application/json"); `body` is
 * the request body (may be empty). Methods GET HEAD POST PUT PATCH DELETE OPTIONS. Redirects are
 * not followed. Returns a handle of the response (status: iv_http_status, headers: iv_http_header,
 * body: iv_cap_len / iv_cap_read / iv_cap_read_all; iv_cap_drop releases it), or
 * IV_ERR_NOT_GRANTED (no grant matches, or the host resolves to a private address the grant does
 * not name), IV_ERR_INVALID (bad method, URL or header), IV_ERR_TOO_LARGE (a body over 6 MiB),
 * IV_ERR_LIMIT (more than 16 requests in this invocation), IV_ERR_CALLEE_FAILED (DNS,
 * connection, TLS, protocol error, or the invocation's deadline). Each request is one line of the
 * activation's log.
 */
static inline iv_handle iv_http_request(const char *req, size_t req_len, const void *body, size_t body_len) {
    return __iv_http_request(req, (int32_t)req_len, body, (int32_t)body_len);
}

/** The status code of the response `handle` names. */
static inline int32_t iv_http_status(iv_handle handle) { return __iv_http_status(handle); }

/**
 * Copies the first value of response header `name` (case-insensitive) to `[dst, dst+cap)`.
 * Returns its length, IV_ERR_NOT_FOUND when absent, IV_ERR_TOO_LARGE (copying nothing) when it
 * does not fit.
 */
static inline int32_t iv_http_header(iv_handle handle, const char *name, size_t name_len, void *dst, size_t cap) {
    return __iv_http_header(handle, name, (int32_t)name_len, dst, (int32_t)cap);
}

/* ---- Key-value stores (need `capabilities: {kv: [store, ...]}`) --------------------------- */
/* Keys are 1-512 bytes of UTF-8, values at most 1 MiB. Every call is atomic and durable when it
 * returns. A store not granted is IV_ERR_NOT_GRANTED; a bad store name or key IV_ERR_INVALID. */

/** The value of `key`: a handle (read it with iv_cap_len / iv_cap_read_all), or IV_ERR_NOT_FOUND. */
static inline iv_handle iv_kv_get(const char *store, size_t store_len, const void *key, size_t key_len) {
    return __iv_kv_get(store, (int32_t)store_len, key, (int32_t)key_len);
}

/** Sets `key` to `[value, value+len)`. Returns 0, IV_ERR_TOO_LARGE, or IV_ERR_LIMIT (store quota). */
static inline int32_t iv_kv_set(const char *store, size_t store_len, const void *key, size_t key_len,
                                const void *value, size_t value_len) {
    return __iv_kv_set(store, (int32_t)store_len, key, (int32_t)key_len, value, (int32_t)value_len);
}

/** Deletes `key`. Returns 0, or IV_ERR_NOT_FOUND when there was nothing to delete. */
static inline int32_t iv_kv_delete(const char *store, size_t store_len, const void *key, size_t key_len) {
    return __iv_kv_delete(store, (int32_t)store_len, key, (int32_t)key_len);
}

/**
 * Adds `delta` to the decimal integer stored at `key` (absent counts as 0) and stores the sum in
 * `*out`. Returns 0, or IV_ERR_INVALID when the value is not a decimal integer.
 */
static inline int32_t iv_kv_incr(const char *store, size_t store_len, const void *key, size_t key_len, int64_t delta,
                                 int64_t *out) {
    return __iv_kv_incr(store, (int32_t)store_len, key, (int32_t)key_len, delta, out);
}

/**
 * Replaces the value of `key` with `value` only if it currently equals `expected`
 * (`expected == NULL`: only if absent). Returns 0 when swapped, IV_ERR_CONFLICT otherwise.
 */
static inline int32_t iv_kv_cas(const char *store, size_t store_len, const void *key, size_t key_len,
                                const void *expected, size_t expected_len, const void *value, size_t value_len) {
    return __iv_kv_cas(store, (int32_t)store_len, key, (int32_t)key_len, expected,
                       expected ? (int32_t)expected_len : -1, value, (int32_t)value_len);
}

/** The keys starting with `prefix`, in byte order, at most `limit` (<= 10000): a handle of them, one per line. */
static inline iv_handle iv_kv_keys(const char *store, size_t store_len, const void *prefix, size_t prefix_len,
                                   int32_t limit) {
    return __iv_kv_keys(store, (int32_t)store_len, prefix, (int32_t)prefix_len, limit);
}

/* ---- Helpers (no imports of their own) ---------------------------------------------------- */

/** Length of a NUL-terminated string. */
static inline size_t iv_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/** Writes a NUL-terminated string to the response body. */
static inline int32_t iv_write_str(const char *s) { return iv_response_write(s, iv_strlen(s)); }

/** Appends a NUL-terminated string to the log. */
static inline int32_t iv_log_str(const char *s) { return iv_log(s, iv_strlen(s)); }

/** Adds a response header from two NUL-terminated strings. */
static inline int32_t iv_header_str(const char *name, const char *value) {
    return iv_response_header(name, iv_strlen(name), value, iv_strlen(value));
}

/** Opens a CAP-File by NUL-terminated path. */
static inline iv_handle iv_cap_open_str(const char *path) { return iv_cap_open(path, iv_strlen(path)); }

/** iv_http_request with a NUL-terminated request block. */
static inline iv_handle iv_http_request_str(const char *req, const void *body, size_t body_len) {
    return iv_http_request(req, iv_strlen(req), body, body_len);
}

/** iv_kv_incr with a NUL-terminated store name and key. */
static inline int32_t iv_kv_incr_str(const char *store, const char *key, int64_t delta, int64_t *out) {
    return iv_kv_incr(store, iv_strlen(store), key, iv_strlen(key), delta, out);
}

/** Calls function `name` (NUL-terminated) with a body. */
static inline iv_handle iv_call_str(const char *name, const void *src, size_t len) {
    return iv_call(name, iv_strlen(name), src, len);
}

/**
 * Formats `value` in decimal into `buf` (at least 21 bytes) and returns the number of characters
 * written (no NUL is added).
 */
static inline size_t iv_format_i64(char *buf, int64_t value) {
    char tmp[20];
    size_t n = 0, out = 0;
    uint64_t v = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0) buf[out++] = '-';
    while (n) buf[out++] = tmp[--n];
    return out;
}

/** Writes `value` in decimal to the response body. */
static inline int32_t iv_write_i64(int64_t value) {
    char buf[21];
    return iv_response_write(buf, iv_format_i64(buf, value));
}

/**
 * Parses a decimal integer from `[s, s+len)` (optional sign, surrounding spaces ignored).
 * Returns 1 and sets `*out` when the whole range is a number that fits in int64, 0 otherwise.
 */
static inline int iv_parse_i64(const char *s, size_t len, int64_t *out) {
    size_t i = 0;
    int negative = 0;
    uint64_t v = 0, limit;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    while (len > i && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
    if (i < len && (s[i] == '-' || s[i] == '+')) negative = s[i++] == '-';
    if (i == len) return 0;
    limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        uint64_t digit = (uint64_t)(s[i] - '0');
        if (v > (limit - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    *out = negative ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

/**
 * Finds `key` in a form-encoded string `[query, query+len)` ("a=1&b=two", as in a query string
 * or an application/x-www-form-urlencoded body). On success sets `*value` / `*value_len` to the
 * raw (still percent-encoded; see iv_form_decode) value and returns 1; a key without `=` has an
 * empty value.
 * Returns 0 when the key is absent.
 */
static inline int iv_form_value(const char *query, size_t len, const char *key, const char **value, size_t *value_len) {
    size_t key_len = iv_strlen(key), i = 0;
    while (i <= len) {
        size_t start = i, eq = (size_t)-1;
        while (i < len && query[i] != '&') {
            if (query[i] == '=' && eq == (size_t)-1) eq = i;
            i++;
        }
        size_t name_end = eq == (size_t)-1 ? i : eq;
        if (name_end - start == key_len) {
            size_t k = 0;
            while (k < key_len && query[start + k] == key[k]) k++;
            if (k == key_len) {
                *value = eq == (size_t)-1 ? query + i : query + eq + 1;
                *value_len = eq == (size_t)-1 ? 0 : i - eq - 1;
                return 1;
            }
        }
        i++;
    }
    return 0;
}

/** The value of a hexadecimal digit, or -1. */
static inline int iv_hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/**
 * Decodes a form value in place: `+` becomes a space and `%XX` the byte it names (a malformed
 * escape is kept as it is). Returns the decoded length, never more than `len`.
 */
static inline size_t iv_form_decode(char *s, size_t len) {
    size_t in = 0, out = 0;
    while (in < len) {
        if (s[in] == '+') {
            s[out++] = ' ';
            in++;
        } else if (s[in] == '%' && len - in >= 3 && iv_hex_digit(s[in + 1]) >= 0 && iv_hex_digit(s[in + 2]) >= 0) {
            s[out++] = (char)(iv_hex_digit(s[in + 1]) * 16 + iv_hex_digit(s[in + 2]));
            in += 3;
        } else {
            s[out++] = s[in++];
        }
    }
    return out;
}

/**
 * Reads the whole response body of a call (handle from iv_call) into `buf` (capacity `cap`).
 * Returns its length, or IV_ERR_TOO_LARGE (reading nothing) when it does not fit.
 */
static inline int64_t iv_cap_read_all(iv_handle handle, void *buf, size_t cap) {
    int64_t total = iv_cap_len(handle);
    if (total < 0) return total;
    if ((uint64_t)total > cap) return IV_ERR_TOO_LARGE;
    int64_t done = 0;
    while (done < total) {
        int32_t n = iv_cap_read(handle, (char *)buf + done, (size_t)(total - done), (uint64_t)done);
        if (n <= 0) return n < 0 ? n : done;
        done += n;
    }
    return done;
}

#ifdef __cplusplus
}
#endif

#endif /* CVMFAAS_INTRAVISOR_H */
