// native.c — the C functions the prelude calls (`native.*` in prelude.js), one per intravisor
// import it needs or per job that is much faster in C than in interpreted JavaScript (UTF-8,
// header checks); and QuickJS's clock and Math.random. See runtime.c for the life cycle.
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

static JSAtom atom_length;

// ---- Small helpers ---------------------------------------------------------------------------

const char *code_reason(int64_t code) {
    switch (code) {
    case IV_ERR_NOT_GRANTED: return "not granted";
    case IV_ERR_NOT_FOUND: return "not found";
    case IV_ERR_TOO_LARGE: return "too large";
    case IV_ERR_CALLEE_FAILED: return "failed";
    case IV_ERR_LIMIT: return "limit reached";
    case IV_ERR_INVALID: return "invalid";
    case IV_ERR_CONFLICT: return "conflict";
    default: return "error";
    }
}

// Throws `new Error(message)` (a real Error, so it has a stack) with a numeric `code` property.
static JSValue throw_code(JSContext *c, int64_t code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static JSValue throw_code(JSContext *c, int64_t code, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    JSValue text = JS_NewString(c, msg);
    if (JS_IsException(text)) return text;
    JSValue err = JS_CallConstructor(c, error_ctor, 1, (JSValueConst *)&text);
    JS_FreeValue(c, text);
    if (JS_IsException(err)) return err;
    JS_SetPropertyStr(c, err, "code", JS_NewInt32(c, (int32_t)code));
    return JS_Throw(c, err);
}

// A JS string as UTF-8. Lone surrogates, which QuickJS encodes as 3-byte sequences ED A0..BF xx,
// become U+FFFD (EF BF BD, the same length), as TextEncoder and fetch bodies require.
// Free with JS_FreeCString.
static const char *to_utf8(JSContext *c, JSValueConst value, size_t *len) {
    const char *s = JS_ToCStringLen(c, len, value);
    if (!s) return NULL;
    for (size_t i = 0; i + 2 < *len; i++) {
        if ((unsigned char)s[i] == 0xED && (unsigned char)s[i + 1] >= 0xA0) {
            // Only a string with 16-bit characters can hold a surrogate, and for those QuickJS
            // returns a fresh copy: writing to it is safe.
            char *w = (char *)s;
            w[i] = (char)0xEF, w[i + 1] = (char)0xBF, w[i + 2] = (char)0xBD;
            i += 2;
        }
    }
    return s;
}

// The bytes of a string (as UTF-8, *owned set: free with JS_FreeCString) or of a typed array.
typedef struct {
    const uint8_t *data;
    size_t len;
    const char *owned;
    JSValue buffer;
} Bytes;

static int get_bytes(JSContext *c, JSValueConst value, Bytes *b) {
    b->owned = NULL;
    b->buffer = JS_UNDEFINED;
    if (JS_IsUndefined(value) || JS_IsNull(value)) {
        b->data = (const uint8_t *)"", b->len = 0;
        return 0;
    }
    if (JS_IsString(value)) {
        b->owned = to_utf8(c, value, &b->len);
        b->data = (const uint8_t *)b->owned;
        return b->owned ? 0 : -1;
    }
    size_t offset, length, element;
    JSValue buffer = JS_GetTypedArrayBuffer(c, value, &offset, &length, &element);
    if (JS_IsException(buffer)) return -1;
    size_t size;
    uint8_t *base = JS_GetArrayBuffer(c, &size, buffer);
    if (!base && length > 0) {
        JS_FreeValue(c, buffer);
        return -1;
    }
    b->data = base ? base + offset : (const uint8_t *)"";
    b->len = length;
    b->buffer = buffer;
    return 0;
}

static void free_bytes(JSContext *c, Bytes *b) {
    if (b->owned) JS_FreeCString(c, b->owned);
    JS_FreeValue(c, b->buffer);
}

static void free_array_buffer(JSRuntime *r, void *opaque, void *ptr) {
    (void)opaque;
    js_free_rt(r, ptr);
}

// Reads the whole object `handle` names (a CAP-File, a KV value, an HTTP response body).
// Returns a js_malloc'ed buffer with a NUL after its *len bytes, or NULL with an exception.
static uint8_t *read_handle(JSContext *c, int32_t handle, size_t *len) {
    int64_t total = __iv_cap_len(handle);
    if (total < 0) {
        throw_code(c, total, "reading a handle: %s (%d)", code_reason(total), (int)total);
        return NULL;
    }
    uint8_t *buf = js_malloc(c, (size_t)total + 1);
    if (!buf) return NULL;
    int64_t done = 0;
    while (done < total) {
        int32_t n = __iv_cap_read(handle, buf + done, (int32_t)(total - done > 0x40000000 ? 0x40000000 : total - done), done);
        if (n <= 0) break;
        done += n;
    }
    buf[done] = 0;
    *len = (size_t)done;
    return buf;
}

// ---- UTF-8 -----------------------------------------------------------------------------------

// Length of the well-formed UTF-8 sequence at p (WHATWG's decoder), or 0 when it is ill-formed:
// then *bad is how many bytes make the maximal ill-formed subpart (one U+FFFD replaces them).
static size_t utf8_sequence(const uint8_t *p, size_t avail, size_t *bad) {
    uint8_t c = p[0];
    size_t need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= avail || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80, hi = 0xBF;
    }
    return need + 1;
}

// A JS string from UTF-8 bytes; ill-formed sequences become U+FFFD, or a TypeError when `fatal`.
static JSValue string_from_utf8(JSContext *c, const uint8_t *p, size_t len, int fatal) {
    size_t i = 0, bad = 0, n;
    while (i < len && (n = utf8_sequence(p + i, len - i, &bad)) > 0) i += n;
    if (i == len) return JS_NewStringLen(c, (const char *)p, len);
    if (fatal) return JS_ThrowTypeError(c, "The encoded data was not valid for encoding utf-8");
    uint8_t *out = js_malloc(c, len * 3 + 1);
    if (!out) return JS_EXCEPTION;
    memcpy(out, p, i);
    size_t o = i;
    while (i < len) {
        n = utf8_sequence(p + i, len - i, &bad);
        if (n) {
            memcpy(out + o, p + i, n);
            o += n, i += n;
        } else {
            out[o++] = 0xEF, out[o++] = 0xBF, out[o++] = 0xBD;
            i += bad;
        }
    }
    JSValue s = JS_NewStringLen(c, (const char *)out, o);
    js_free(c, out);
    return s;
}

// ---- Clock, random and gettimeofday -----------------------------------------------------------

// QuickJS's gettimeofday (compat.h renames it): the intravisor realtime clock with the grant,
// the epoch without (only Math.random's seed asks then; the prelude guards Date).
int iv_js_gettimeofday(struct timeval *tv, void *tz) {
    (void)tz;
    int64_t ns = grant_clock ? __iv_clock_ns(IV_CLOCK_REALTIME) : 0;
    if (ns < 0) ns = 0;
    tv->tv_sec = (time_t)(ns / 1000000000);
    tv->tv_usec = (suseconds_t)((ns % 1000000000) / 1000);
    return 0;
}

// native.clock(id): milliseconds; 0 realtime (since the epoch), 1 monotonic (since the start of
// this invocation, or of iv_init). The prelude checks the grant first and throws without it.
static JSValue js_native_clock(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    int32_t id = 0;
    if (JS_ToInt32(c, &id, argv[0])) return JS_EXCEPTION;
    if (!grant_clock) return JS_ThrowTypeError(c, "the clock needs capabilities.clock");
    int64_t ns = __iv_clock_ns(id == 1 ? IV_CLOCK_MONOTONIC : IV_CLOCK_REALTIME);
    if (id == 1) return JS_NewFloat64(c, (double)(ns - monotonic_origin_ns) / 1e6);
    return JS_NewFloat64(c, floor((double)ns / 1e6));
}

// native.random(uint8array): fills it from the intravisor random source (needs the grant).
static JSValue js_native_random(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    if (!grant_random) return JS_ThrowTypeError(c, "random bytes need capabilities.random");
    Bytes b;
    if (get_bytes(c, argv[0], &b)) return JS_EXCEPTION;
    if (b.len) __iv_random((void *)b.data, (int32_t)b.len);
    free_bytes(c, &b);
    return JS_UNDEFINED;
}

// Math.random: xorshift64*, seeded at its first use in each invocation, so that invocations
// starting from one snapshot do not all draw the same numbers: from the intravisor random
// source with `random`, else from the activation id (not secret; crypto is for secrets).
static uint64_t rng_state;
static int rng_seeded;

void native_begin_invocation(void) { rng_seeded = 0; }

JSValue js_math_random(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc, (void)argv;
    if (!rng_seeded) {
        uint64_t seed = 0x9E3779B97F4A7C15ull;
        if (grant_random) {
            __iv_random(&seed, sizeof seed);
        } else {
            const char *id = environ_value("FAAS_ACTIVATION");
            for (; id && *id; id++) seed = (seed ^ (uint8_t)*id) * 0x100000001B3ull;
        }
        rng_state = seed ? seed : 1;
        rng_seeded = 1;
    }
    uint64_t x = rng_state;
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    rng_state = x;
    x *= 0x2545F4914F6CDD1Dull;
    return JS_NewFloat64(c, (double)(x >> 11) * 0x1.0p-53);
}

// ---- Log, request and response ----------------------------------------------------------------

// native.log(text): one write to the activation's log.
static JSValue js_native_log(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    size_t len;
    const char *s = to_utf8(c, argv[0], &len);
    if (!s) return JS_EXCEPTION;
    log_bytes(s, len);
    JS_FreeCString(c, s);
    return JS_UNDEFINED;
}

static uint8_t *read_request_body(JSContext *c, size_t *len) {
    int32_t total = __iv_request_len();
    uint8_t *buf = js_malloc(c, (size_t)(total > 0 ? total : 0) + 1);
    if (!buf) return NULL;
    int32_t done = 0;
    while (done < total) {
        int32_t n = __iv_request_read(buf + done, total - done, done);
        if (n <= 0) break;
        done += n;
    }
    buf[done] = 0;
    *len = (size_t)done;
    return buf;
}

// A buffer of bytes from js_malloc as a string (UTF-8, the buffer freed) or as an ArrayBuffer
// that takes the buffer over.
static JSValue bytes_value(JSContext *c, uint8_t *buf, size_t len, int as_text) {
    if (!as_text) return JS_NewArrayBuffer(c, buf, len, free_array_buffer, NULL, 0);
    JSValue s = string_from_utf8(c, buf, len, 0);
    js_free(c, buf);
    return s;
}

// native.requestText() / native.requestBytes(): the request body as a string / an ArrayBuffer.
static JSValue request_body(JSContext *c, int as_text) {
    size_t len;
    uint8_t *buf = read_request_body(c, &len);
    if (!buf) return JS_EXCEPTION;
    return bytes_value(c, buf, len, as_text);
}

static JSValue js_native_request_text(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc, (void)argv;
    return request_body(c, 1);
}

static JSValue js_native_request_bytes(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc, (void)argv;
    return request_body(c, 0);
}

// native.requestHeaders(): [[name, value], ...] from the environment: HTTP_X_TRACE_ID becomes
// x-trace-id. The platform sets an HTTP_ variable for every header as sent, Content-Type and
// Content-Length included, so the CGI variables CONTENT_TYPE and CONTENT_LENGTH (which it sets
// even when the header is absent) are not read. A variable of the manifest's env that happens
// to start with HTTP_ is not a header.
static JSValue js_native_request_headers(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc, (void)argv;
    JSValue list = JS_NewArray(c);
    if (JS_IsException(list)) return list;
    uint32_t count = 0;
    for (size_t i = 0; i < environ_count; i++) {
        const char *var = environ_vars[i], *eq = strchr(var, '=');
        if (!eq) continue;
        size_t name_len = (size_t)(eq - var);
        char name[256];
        if (name_len > 5 && name_len - 5 < sizeof name && memcmp(var, "HTTP_", 5) == 0) {
            char env_name[sizeof name + 5];
            memcpy(env_name, var, name_len);
            env_name[name_len] = 0;
            JSAtom atom = JS_NewAtom(c, env_name);
            int in_manifest = JS_HasProperty(c, manifest_env, atom);
            JS_FreeAtom(c, atom);
            if (in_manifest) continue;
            for (size_t k = 5; k < name_len; k++) {
                char ch = var[k];
                name[k - 5] = ch == '_' ? '-' : (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
            }
            name[name_len - 5] = 0;
        } else {
            continue;
        }
        JSValue pair = JS_NewArray(c);
        JS_SetPropertyUint32(c, pair, 0, JS_NewString(c, name));
        JS_SetPropertyUint32(c, pair, 1, string_from_utf8(c, (const uint8_t *)eq + 1, strlen(eq + 1), 0));
        JS_SetPropertyUint32(c, list, count++, pair);
    }
    return list;
}

// ---- Header names and values (in C: regular expressions are slow in an interpreted engine) --

static int is_token_char(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_http_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A header name, checked (a token) and lower-cased: the same JS string when it already is.
static JSValue header_name(JSContext *c, JSValueConst value) {
    size_t len;
    JSValue str = JS_ToString(c, value);
    if (JS_IsException(str)) return str;
    const char *s = JS_ToCStringLen(c, &len, str);
    if (!s) {
        JS_FreeValue(c, str);
        return JS_EXCEPTION;
    }
    int upper = 0, ok = len > 0;
    for (size_t i = 0; i < len && ok; i++) {
        ok = is_token_char((unsigned char)s[i]);
        upper |= s[i] >= 'A' && s[i] <= 'Z';
    }
    JSValue result = str;
    if (!ok) {
        result = JS_ThrowTypeError(c, "invalid header name: \"%.200s\"", s);
        JS_FreeValue(c, str);
    } else if (upper) {
        char small[256], *lower = len < sizeof small ? small : js_malloc(c, len);
        if (lower) {
            for (size_t i = 0; i < len; i++) lower[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
            result = JS_NewStringLen(c, lower, len);
            if (lower != small) js_free(c, lower);
        } else {
            result = JS_EXCEPTION;
        }
        JS_FreeValue(c, str);
    }
    JS_FreeCString(c, s);
    return result;
}

// A header value: surrounding HTTP whitespace removed; CR, LF or NUL inside is a TypeError.
static JSValue header_value(JSContext *c, JSValueConst value) {
    size_t len;
    JSValue str = JS_ToString(c, value);
    if (JS_IsException(str)) return str;
    const char *s = JS_ToCStringLen(c, &len, str);
    if (!s) {
        JS_FreeValue(c, str);
        return JS_EXCEPTION;
    }
    size_t start = 0, end = len;
    while (start < end && is_http_space(s[start])) start++;
    while (end > start && is_http_space(s[end - 1])) end--;
    JSValue result = str;
    if (memchr(s + start, '\r', end - start) || memchr(s + start, '\n', end - start) || memchr(s + start, 0, end - start)) {
        result = JS_ThrowTypeError(c, "invalid header value (CR, LF or NUL): \"%.200s\"", s + start);
        JS_FreeValue(c, str);
    } else if (start != 0 || end != len) {
        result = JS_NewStringLen(c, s + start, end - start);
        JS_FreeValue(c, str);
    }
    JS_FreeCString(c, s);
    return result;
}

static JSValue js_native_header_name(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    return header_name(c, argv[0]);
}

static JSValue js_native_header_value(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    return header_value(c, argv[0]);
}

// native.flatHeaders(object, defaultType): the own enumerable properties of a plain object as
// [name, value, name, value, ...], checked and lower-cased, plus content-type: defaultType when
// the object has none and defaultType is a string. (new Response(body, {headers: {...}}).)
static JSValue js_native_flat_headers(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    JSValue flat = JS_NewArray(c);
    if (JS_IsException(flat)) return flat;
    uint32_t n = 0, count = 0;
    int has_type = 0;
    JSPropertyEnum *props = NULL;
    if (JS_IsObject(argv[0]) &&
        JS_GetOwnPropertyNames(c, &props, &count, argv[0], JS_GPN_STRING_MASK | JS_GPN_ENUM_ONLY) < 0)
        goto fail;
    for (uint32_t i = 0; i < count; i++) {
        JSValue key = JS_AtomToString(c, props[i].atom);
        JSValue name = JS_IsException(key) ? key : header_name(c, key);
        JS_FreeValue(c, key);
        if (JS_IsException(name)) goto fail;
        JSValue raw = JS_GetProperty(c, argv[0], props[i].atom);
        JSValue value = JS_IsException(raw) ? raw : header_value(c, raw);
        JS_FreeValue(c, raw);
        if (JS_IsException(value)) {
            JS_FreeValue(c, name);
            goto fail;
        }
        if (!has_type) {
            const char *s = JS_ToCString(c, name);
            has_type = s && strcmp(s, "content-type") == 0;
            if (s) JS_FreeCString(c, s);
        }
        JS_SetPropertyUint32(c, flat, n++, name);
        JS_SetPropertyUint32(c, flat, n++, value);
    }
    if (!has_type && JS_IsString(argv[1])) {
        JS_SetPropertyUint32(c, flat, n++, JS_NewString(c, "content-type"));
        JS_SetPropertyUint32(c, flat, n++, JS_DupValue(c, argv[1]));
    }
    for (uint32_t i = 0; i < count; i++) JS_FreeAtom(c, props[i].atom);
    js_free(c, props);
    return flat;
fail:
    for (uint32_t i = 0; props && i < count; i++) JS_FreeAtom(c, props[i].atom);
    js_free(c, props);
    JS_FreeValue(c, flat);
    return JS_EXCEPTION;
}

// Writes one response header (both already checked). Returns an exception or undefined.
static JSValue send_header(JSContext *c, JSValueConst name_value, JSValueConst value_value) {
    size_t name_len, value_len;
    const char *name = to_utf8(c, name_value, &name_len);
    if (!name) return JS_EXCEPTION;
    const char *value = to_utf8(c, value_value, &value_len);
    if (!value) {
        JS_FreeCString(c, name);
        return JS_EXCEPTION;
    }
    int32_t rc = __iv_response_header(name, (int32_t)name_len, value, (int32_t)value_len);
    JSValue result = rc < 0 ? JS_ThrowTypeError(c, "invalid response header '%s': %s (%d)", name, code_reason(rc), (int)rc)
                            : JS_UNDEFINED;
    JS_FreeCString(c, name);
    JS_FreeCString(c, value);
    return result;
}

// native.sendHeaders(flat): response_header for each name/value pair of a flat array, but the
// framing headers the platform sets itself (content-length, transfer-encoding, connection).
static JSValue js_native_send_headers(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    JSValue length_value = JS_GetProperty(c, argv[0], atom_length);
    uint32_t length = 0;
    JS_ToUint32(c, &length, length_value);
    JS_FreeValue(c, length_value);
    for (uint32_t i = 0; i + 1 < length; i += 2) {
        JSValue name = JS_GetPropertyUint32(c, argv[0], i);
        const char *s = JS_ToCString(c, name);
        int framing = s && (strcmp(s, "content-length") == 0 || strcmp(s, "transfer-encoding") == 0 ||
                            strcmp(s, "connection") == 0 || strcmp(s, "keep-alive") == 0);
        if (s) JS_FreeCString(c, s);
        JSValue r = JS_UNDEFINED;
        if (!framing) {
            JSValue value = JS_GetPropertyUint32(c, argv[0], i + 1);
            r = send_header(c, name, value);
            JS_FreeValue(c, value);
        }
        JS_FreeValue(c, name);
        if (JS_IsException(r)) return r;
    }
    return JS_UNDEFINED;
}

// native.status(code)
static JSValue js_native_status(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    int32_t code;
    if (JS_ToInt32(c, &code, argv[0])) return JS_EXCEPTION;
    if (__iv_response_status(code) < 0) return JS_ThrowRangeError(c, "invalid response status %d", (int)code);
    return JS_UNDEFINED;
}

// native.header(name, value)
static JSValue js_native_header(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    return send_header(c, argv[0], argv[1]);
}

static JSValue write_response(JSContext *c, const uint8_t *data, size_t len) {
    if (len == 0) return JS_UNDEFINED;
    int32_t n = __iv_response_write(data, (int32_t)len);
    if (n < 0 || (size_t)n != len) return JS_ThrowRangeError(c, "the response body is too large");
    return JS_UNDEFINED;
}

// native.write(stringOrUint8Array): appends to the response body.
static JSValue js_native_write(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    Bytes b;
    if (get_bytes(c, argv[0], &b)) return JS_EXCEPTION;
    JSValue result = write_response(c, b.data, b.len);
    free_bytes(c, &b);
    return result;
}

// native.writeHandle(handle): appends what a handle names (a fetched body) to the response,
// through a fixed buffer, without making it a JS value.
static JSValue js_native_write_handle(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    static uint8_t chunk[64 * 1024];
    int32_t handle;
    if (JS_ToInt32(c, &handle, argv[0])) return JS_EXCEPTION;
    int64_t offset = 0;
    for (;;) {
        int32_t n = __iv_cap_read(handle, chunk, sizeof chunk, offset);
        if (n <= 0) break;
        JSValue r = write_response(c, chunk, (size_t)n);
        if (JS_IsException(r)) return r;
        offset += n;
    }
    return JS_UNDEFINED;
}

// native.handleText(handle, fatal) / native.handleBytes(handle): a handle's bytes, as a string
// or as an ArrayBuffer that takes over the buffer.
static JSValue handle_contents(JSContext *c, JSValueConst *argv, int as_text) {
    int32_t handle;
    if (JS_ToInt32(c, &handle, argv[0])) return JS_EXCEPTION;
    size_t len;
    uint8_t *buf = read_handle(c, handle, &len);
    if (!buf) return JS_EXCEPTION;
    return bytes_value(c, buf, len, as_text);
}

static JSValue js_native_handle_text(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    return handle_contents(c, argv, 1);
}

static JSValue js_native_handle_bytes(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    return handle_contents(c, argv, 0);
}

// ---- Outbound HTTP ----------------------------------------------------------------------------

// native.httpRequest(block, body): the handle of the response, or the negative code (the
// prelude turns it into a TypeError naming the reason).
static JSValue js_native_http_request(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    size_t block_len;
    const char *block = to_utf8(c, argv[0], &block_len);
    if (!block) return JS_EXCEPTION;
    Bytes body;
    if (get_bytes(c, argv[1], &body)) {
        JS_FreeCString(c, block);
        return JS_EXCEPTION;
    }
    int32_t handle = __iv_http_request(block, (int32_t)block_len, body.data, (int32_t)body.len);
    JS_FreeCString(c, block);
    free_bytes(c, &body);
    return JS_NewInt32(c, handle);
}

// native.httpStatus(handle)
static JSValue js_native_http_status(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    int32_t handle;
    if (JS_ToInt32(c, &handle, argv[0])) return JS_EXCEPTION;
    return JS_NewInt32(c, __iv_http_status(handle));
}

// native.httpHeader(handle, name): the first value of that response header, or null (-2).
static JSValue js_native_http_header(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    static char small[8192];
    int32_t handle;
    size_t name_len;
    if (JS_ToInt32(c, &handle, argv[0])) return JS_EXCEPTION;
    const char *name = to_utf8(c, argv[1], &name_len);
    if (!name) return JS_EXCEPTION;
    JSValue result = JS_NULL;
    int32_t n = __iv_http_header(handle, name, (int32_t)name_len, small, sizeof small);
    if (n >= 0) {
        result = string_from_utf8(c, (const uint8_t *)small, (size_t)n, 0);
    } else if (n == IV_ERR_TOO_LARGE) {
        // Longer than 8 KiB: try once more with room for 1 MiB.
        size_t cap = 1 << 20;
        char *big = js_malloc(c, cap);
        if (!big) result = JS_EXCEPTION;
        else {
            n = __iv_http_header(handle, name, (int32_t)name_len, big, (int32_t)cap);
            if (n >= 0) result = string_from_utf8(c, (const uint8_t *)big, (size_t)n, 0);
            js_free(c, big);
        }
    }
    JS_FreeCString(c, name);
    return result;
}

// ---- Key-value stores -------------------------------------------------------------------------

// The store name and key of a kv call, as UTF-8.
typedef struct {
    const char *store, *key;
    size_t store_len, key_len;
} KvArgs;

static int kv_args(JSContext *c, JSValueConst *argv, KvArgs *a) {
    a->store = to_utf8(c, argv[0], &a->store_len);
    if (!a->store) return -1;
    a->key = to_utf8(c, argv[1], &a->key_len);
    if (!a->key) {
        JS_FreeCString(c, a->store);
        return -1;
    }
    return 0;
}

static void kv_free(JSContext *c, KvArgs *a) {
    JS_FreeCString(c, a->store);
    JS_FreeCString(c, a->key);
}

static JSValue kv_fail(JSContext *c, KvArgs *a, const char *op, int32_t code) {
    JSValue e = throw_code(c, code, "kv %s.%s(\"%.200s\"): %s%s (%d)", a->store, op, a->key, code_reason(code),
                           code == IV_ERR_NOT_GRANTED ? " by capabilities.kv" : "", (int)code);
    kv_free(c, a);
    return e;
}

// native.kvGet(store, key, asBytes): a string (or ArrayBuffer), or null when absent.
static JSValue js_native_kv_get(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    KvArgs a;
    if (kv_args(c, argv, &a)) return JS_EXCEPTION;
    int32_t handle = __iv_kv_get(a.store, (int32_t)a.store_len, a.key, (int32_t)a.key_len);
    if (handle == IV_ERR_NOT_FOUND) {
        kv_free(c, &a);
        return JS_NULL;
    }
    if (handle < 0) return kv_fail(c, &a, "get", handle);
    kv_free(c, &a);
    size_t len;
    uint8_t *buf = read_handle(c, handle, &len);
    __iv_cap_drop(handle);
    if (!buf) return JS_EXCEPTION;
    if (JS_ToBool(c, argv[2])) return JS_NewArrayBuffer(c, buf, len, free_array_buffer, NULL, 0);
    JSValue s = string_from_utf8(c, buf, len, 0);
    js_free(c, buf);
    return s;
}

// native.kvPut(store, key, value): value is a string or a Uint8Array.
static JSValue js_native_kv_put(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    KvArgs a;
    Bytes v;
    if (kv_args(c, argv, &a)) return JS_EXCEPTION;
    if (get_bytes(c, argv[2], &v)) {
        kv_free(c, &a);
        return JS_EXCEPTION;
    }
    int32_t rc = __iv_kv_set(a.store, (int32_t)a.store_len, a.key, (int32_t)a.key_len, v.data, (int32_t)v.len);
    free_bytes(c, &v);
    if (rc < 0) return kv_fail(c, &a, "put", rc);
    kv_free(c, &a);
    return JS_UNDEFINED;
}

// native.kvDelete(store, key): true when a value was deleted, false when there was none.
static JSValue js_native_kv_delete(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    KvArgs a;
    if (kv_args(c, argv, &a)) return JS_EXCEPTION;
    int32_t rc = __iv_kv_delete(a.store, (int32_t)a.store_len, a.key, (int32_t)a.key_len);
    if (rc < 0 && rc != IV_ERR_NOT_FOUND) return kv_fail(c, &a, "delete", rc);
    kv_free(c, &a);
    return JS_NewBool(c, rc >= 0);
}

// native.kvIncr(store, key, delta): the new value.
static JSValue js_native_kv_incr(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    int64_t delta, out = 0;
    if (JS_ToInt64(c, &delta, argv[2])) return JS_EXCEPTION;
    KvArgs a;
    if (kv_args(c, argv, &a)) return JS_EXCEPTION;
    int32_t rc = __iv_kv_incr(a.store, (int32_t)a.store_len, a.key, (int32_t)a.key_len, delta, &out);
    if (rc < 0) return kv_fail(c, &a, "incr", rc);
    kv_free(c, &a);
    return JS_NewInt64(c, out);
}

// native.kvCas(store, key, expected, value): true when swapped; expected null: only if absent.
static JSValue js_native_kv_cas(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    KvArgs a;
    Bytes expected, value;
    int absent = JS_IsNull(argv[2]) || JS_IsUndefined(argv[2]);
    if (kv_args(c, argv, &a)) return JS_EXCEPTION;
    if (get_bytes(c, argv[2], &expected)) {
        kv_free(c, &a);
        return JS_EXCEPTION;
    }
    if (get_bytes(c, argv[3], &value)) {
        free_bytes(c, &expected);
        kv_free(c, &a);
        return JS_EXCEPTION;
    }
    int32_t rc = __iv_kv_cas(a.store, (int32_t)a.store_len, a.key, (int32_t)a.key_len, expected.data,
                             absent ? -1 : (int32_t)expected.len, value.data, (int32_t)value.len);
    free_bytes(c, &expected);
    free_bytes(c, &value);
    if (rc < 0 && rc != IV_ERR_CONFLICT) return kv_fail(c, &a, "cas", rc);
    kv_free(c, &a);
    return JS_NewBool(c, rc >= 0);
}

// native.kvKeys(store, prefix, limit): the keys, one per line, as one string.
static JSValue js_native_kv_keys(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    int32_t limit;
    if (JS_ToInt32(c, &limit, argv[2])) return JS_EXCEPTION;
    KvArgs a;
    if (kv_args(c, argv, &a)) return JS_EXCEPTION;
    int32_t handle = __iv_kv_keys(a.store, (int32_t)a.store_len, a.key, (int32_t)a.key_len, limit);
    if (handle < 0) return kv_fail(c, &a, "list", handle);
    kv_free(c, &a);
    size_t len;
    uint8_t *buf = read_handle(c, handle, &len);
    __iv_cap_drop(handle);
    if (!buf) return JS_EXCEPTION;
    JSValue s = string_from_utf8(c, buf, len, 0);
    js_free(c, buf);
    return s;
}

// ---- Text encoding ----------------------------------------------------------------------------

// native.utf8Encode(string): an ArrayBuffer of its UTF-8 (lone surrogates as U+FFFD).
static JSValue js_native_utf8_encode(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    size_t len;
    const char *s = to_utf8(c, argv[0], &len);
    if (!s) return JS_EXCEPTION;
    JSValue buffer = JS_NewArrayBufferCopy(c, (const uint8_t *)s, len);
    JS_FreeCString(c, s);
    return buffer;
}

// native.utf8Decode(uint8array, fatal): a string.
static JSValue js_native_utf8_decode(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv) {
    (void)this_val, (void)argc;
    Bytes b;
    if (get_bytes(c, argv[0], &b)) return JS_EXCEPTION;
    JSValue s = string_from_utf8(c, b.data, b.len, JS_ToBool(c, argv[1]));
    free_bytes(c, &b);
    return s;
}

const JSCFunctionListEntry native_functions[] = {
    JS_CFUNC_DEF("log", 1, js_native_log),
    JS_CFUNC_DEF("clock", 1, js_native_clock),
    JS_CFUNC_DEF("random", 1, js_native_random),
    JS_CFUNC_DEF("requestText", 0, js_native_request_text),
    JS_CFUNC_DEF("requestBytes", 0, js_native_request_bytes),
    JS_CFUNC_DEF("requestHeaders", 0, js_native_request_headers),
    JS_CFUNC_DEF("status", 1, js_native_status),
    JS_CFUNC_DEF("header", 2, js_native_header),
    JS_CFUNC_DEF("headerName", 1, js_native_header_name),
    JS_CFUNC_DEF("headerValue", 1, js_native_header_value),
    JS_CFUNC_DEF("flatHeaders", 2, js_native_flat_headers),
    JS_CFUNC_DEF("sendHeaders", 1, js_native_send_headers),
    JS_CFUNC_DEF("write", 1, js_native_write),
    JS_CFUNC_DEF("writeHandle", 1, js_native_write_handle),
    JS_CFUNC_DEF("handleText", 1, js_native_handle_text),
    JS_CFUNC_DEF("handleBytes", 1, js_native_handle_bytes),
    JS_CFUNC_DEF("httpRequest", 2, js_native_http_request),
    JS_CFUNC_DEF("httpStatus", 1, js_native_http_status),
    JS_CFUNC_DEF("httpHeader", 2, js_native_http_header),
    JS_CFUNC_DEF("kvGet", 3, js_native_kv_get),
    JS_CFUNC_DEF("kvPut", 3, js_native_kv_put),
    JS_CFUNC_DEF("kvDelete", 2, js_native_kv_delete),
    JS_CFUNC_DEF("kvIncr", 3, js_native_kv_incr),
    JS_CFUNC_DEF("kvCas", 4, js_native_kv_cas),
    JS_CFUNC_DEF("kvKeys", 3, js_native_kv_keys),
    JS_CFUNC_DEF("utf8Encode", 1, js_native_utf8_encode),
    JS_CFUNC_DEF("utf8Decode", 2, js_native_utf8_decode),
};

const size_t native_function_count = sizeof native_functions / sizeof native_functions[0];

void native_init(JSContext *c) { atom_length = JS_NewAtom(c, "length"); }
