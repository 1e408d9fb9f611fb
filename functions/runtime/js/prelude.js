// prelude.js — the web-style API of the platform's JavaScript runtime, evaluated once in iv_init
// before the handler module. build.sh compiles it to QuickJS bytecode that runtime.c embeds; it
// is a script, not a module, and imports nothing.
//
// The whole file is one function expression. runtime.c calls it with `native` (its C functions:
// the intravisor imports, UTF-8, header checks and the request environment) and `config` (the
// parsed .faas/function.json), and keeps what it returns: { setHandler, run, send, timer, waits }.
// `native` stays in this closure: handler code cannot reach it.
//
// Speed matters more here than in most JavaScript: QuickJS interprets it, inside an interpreted
// sandbox, on every invocation. Hence flat header arrays, defaults on prototypes, no regular
// expressions on the request/response path, and the warm-up at the end.
//
// Globals it adds: Headers, Request, Response, fetch, console, TextEncoder, TextDecoder, URL,
// URLSearchParams, atob, btoa, crypto, performance, setTimeout/clearTimeout/setInterval/
// clearInterval, queueMicrotask; it wraps Date so that reading the current time needs
// capabilities.clock. Not provided: streams (a body is read whole), Blob, FormData,
// AbortController, structuredClone.
(function (native, config) {
    "use strict";

    const global = globalThis;
    const defineGlobal = (name, value) =>
        Object.defineProperty(global, name, { value, writable: true, configurable: true, enumerable: false });
    const attempt = (fn) => {
        try {
            return Promise.resolve(fn());
        } catch (e) {
            return Promise.reject(e);
        }
    };
    // intravisor error codes, as the reason of an error message
    const REASONS = {
        "-1": "not granted",
        "-2": "not found",
        "-3": "too large",
        "-4": "failed",
        "-5": "limit reached",
        "-6": "invalid",
        "-7": "conflict",
    };
    const describe = (value) => {
        if (value === null || value === undefined) return String(value);
        if (typeof value === "object") return `an object (${Object.prototype.toString.call(value)})`;
        return `a ${typeof value}`;
    };

    // ---- Clock, random, Date --------------------------------------------------------------------

    const needClock = (what) => {
        if (!config.clock) throw new Error(`${what} needs capabilities.clock (clock: true in function.yaml)`);
    };
    const needRandom = (what) => {
        if (!config.random) throw new Error(`${what} needs capabilities.random (random: true in function.yaml)`);
    };

    // Date reads the current time only through Date.now(), new Date() and Date(): those need the
    // clock grant; new Date(value) and the methods of a date do not.
    const NativeDate = Date;
    const nowMs = (what) => {
        needClock(what);
        return native.clock(0);
    };
    function WrappedDate(year, month, day, hours, minutes, seconds, ms) {
        if (new.target === undefined) return new NativeDate(nowMs("Date()")).toString();
        if (arguments.length === 0) return Reflect.construct(NativeDate, [nowMs("new Date()")], new.target);
        return Reflect.construct(NativeDate, Array.prototype.slice.call(arguments), new.target);
    }
    Object.defineProperty(WrappedDate, "name", { value: "Date" });
    Object.defineProperty(WrappedDate, "prototype", { value: NativeDate.prototype, writable: false });
    Object.defineProperty(NativeDate.prototype, "constructor", { value: WrappedDate, writable: true, configurable: true });
    for (const name of ["parse", "UTC"]) {
        Object.defineProperty(WrappedDate, name, { value: NativeDate[name], writable: true, configurable: true });
    }
    Object.defineProperty(WrappedDate, "now", {
        value: function now() {
            return nowMs("Date.now()");
        },
        writable: true,
        configurable: true,
    });
    defineGlobal("Date", WrappedDate);

    defineGlobal("performance", {
        // milliseconds since the start of the invocation (monotonic)
        now() {
            needClock("performance.now()");
            return native.clock(1);
        },
    });

    const hex = (bytes) => Array.prototype.map.call(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
    defineGlobal("crypto", {
        getRandomValues(array) {
            needRandom("crypto.getRandomValues()");
            if (!ArrayBuffer.isView(array) || array instanceof DataView || array instanceof Float32Array ||
                array instanceof Float64Array) {
                throw new TypeError("crypto.getRandomValues() needs an integer typed array");
            }
            if (array.byteLength > 65536) {
                const e = new Error(`crypto.getRandomValues(): ${array.byteLength} bytes asked, at most 65536`);
                e.name = "QuotaExceededError";
                throw e;
            }
            native.random(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
            return array;
        },
        randomUUID() {
            needRandom("crypto.randomUUID()");
            const b = new Uint8Array(16);
            native.random(b);
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            const h = hex(b);
            return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
        },
    });

    // ---- console ------------------------------------------------------------------------------

    // One log write per call: the arguments joined with spaces, strings as they are, errors with
    // their stack, other values as JSON (or String() when JSON cannot show them).
    const format = (value) => {
        if (typeof value === "string") return value;
        if (value instanceof Error) {
            const head = `${value.name}: ${value.message}`;
            return value.stack ? `${head}\n${String(value.stack).replace(/\n$/, "")}` : head;
        }
        if (typeof value === "function") return `[Function ${value.name || "(anonymous)"}]`;
        if (typeof value === "symbol") return value.toString();
        if (typeof value === "object" && value !== null) {
            try {
                const json = JSON.stringify(value);
                if (json !== undefined) return json;
            } catch (e) {
                // cyclic: fall through
            }
        }
        return String(value);
    };
    const write = (prefix, args) => native.log(prefix + Array.prototype.map.call(args, format).join(" ") + "\n");
    defineGlobal("console", {
        log(...args) { write("", args); },
        info(...args) { write("", args); },
        debug(...args) { write("", args); },
        warn(...args) { write("warn: ", args); },
        error(...args) { write("error: ", args); },
        trace(...args) { write("trace: ", args.concat(String(new Error().stack || ""))); },
        assert(condition, ...args) {
            if (!condition) write("error: Assertion failed" + (args.length ? ": " : ""), args);
        },
    });

    // ---- Timers -------------------------------------------------------------------------------

    // Nothing can sleep inside a compartment: timers run in the order of their delays once the
    // job queue is empty, on a virtual clock (a delay orders callbacks; it is not waited for).
    const timers = new Map();
    let timerId = 0;
    let virtualNow = 0;
    const addTimer = (fn, ms, args, repeat) => {
        if (typeof fn !== "function") throw new TypeError("a timer callback must be a function");
        const delay = Math.max(0, Number(ms) || 0);
        const id = ++timerId;
        timers.set(id, { id, at: virtualNow + delay, delay, fn, args, repeat });
        return id;
    };
    // Runs the next timer; false when there is none.
    const runTimer = () => {
        let next = null;
        for (const t of timers.values()) if (next === null || t.at < next.at) next = t;
        if (next === null) return false;
        virtualNow = next.at;
        if (next.repeat) next.at = virtualNow + Math.max(1, next.delay);
        else timers.delete(next.id);
        try {
            next.fn.apply(undefined, next.args);
        } catch (e) {
            write("error: Uncaught (in a timer) ", [e]);
        }
        return true;
    };
    defineGlobal("setTimeout", (fn, ms, ...args) => addTimer(fn, ms, args, false));
    defineGlobal("setInterval", (fn, ms, ...args) => addTimer(fn, ms, args, true));
    defineGlobal("clearTimeout", (id) => { timers.delete(id); });
    defineGlobal("clearInterval", (id) => { timers.delete(id); });
    defineGlobal("queueMicrotask", (fn) => {
        if (typeof fn !== "function") throw new TypeError("queueMicrotask needs a function");
        Promise.resolve().then(() => fn());
    });

    // ---- Text encoding, base64 ----------------------------------------------------------------

    const UTF8_LABELS = ["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"];
    const asUint8 = (value) => {
        if (value instanceof Uint8Array) return value;
        if (value instanceof ArrayBuffer) return new Uint8Array(value);
        if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        throw new TypeError(`expected an ArrayBuffer or a typed array, not ${describe(value)}`);
    };
    class TextEncoder {
        get encoding() { return "utf-8"; }
        encode(input = "") {
            return new Uint8Array(native.utf8Encode(String(input)));
        }
        encodeInto(source, destination) {
            source = String(source);
            const bytes = this.encode(source);
            if (bytes.length <= destination.length) {
                destination.set(bytes);
                return { read: source.length, written: bytes.length };
            }
            let read = 0;
            let written = 0;
            for (const ch of source) {
                const cp = ch.codePointAt(0);
                const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (written + n > destination.length) break;
                written += n;
                read += ch.length;
            }
            destination.set(bytes.subarray(0, written));
            return { read, written };
        }
    }
    class TextDecoder {
        constructor(label = "utf-8", options = {}) {
            const name = String(label).trim().toLowerCase();
            if (!UTF8_LABELS.includes(name)) throw new RangeError(`TextDecoder: '${label}' is not supported (only utf-8)`);
            this.fatal = Boolean(options && options.fatal);
            this.ignoreBOM = Boolean(options && options.ignoreBOM);
        }
        get encoding() { return "utf-8"; }
        decode(input) {
            if (input === undefined) return "";
            let bytes = asUint8(input);
            if (!this.ignoreBOM && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
                bytes = bytes.subarray(3);
            }
            return native.utf8Decode(bytes, this.fatal);
        }
    }
    defineGlobal("TextEncoder", TextEncoder);
    defineGlobal("TextDecoder", TextDecoder);
    const utf8 = new TextEncoder();

    const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    defineGlobal("btoa", (input) => {
        const s = String(input);
        let out = "";
        for (let i = 0; i < s.length; i += 3) {
            const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
            if (a > 255 || b > 255 || c > 255) throw new Error("btoa: the string has characters outside Latin-1");
            const n = (a << 16) | ((b || 0) << 8) | (c || 0);
            out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < s.length ? B64[(n >> 6) & 63] : "=") +
                (i + 2 < s.length ? B64[n & 63] : "=");
        }
        return out;
    });
    defineGlobal("atob", (input) => {
        let s = String(input).replace(/[\t\n\f\r ]/g, "");
        if (s.length % 4 === 0) s = s.replace(/==?$/, "");
        if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw new Error("atob: the string is not valid base64");
        let out = "";
        let bits = 0;
        let value = 0;
        for (let i = 0; i < s.length; i++) {
            value = (value << 6) | B64.indexOf(s[i]);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out += String.fromCharCode((value >> bits) & 255);
            }
        }
        return out;
    });

    // ---- URL, URLSearchParams -----------------------------------------------------------------

    // A small WHATWG-style URL: special schemes (http, https, ws, wss, ftp, file) get an
    // authority, a normalised path and default ports dropped; others keep an opaque path.
    // Not done: IDNA (non-ASCII host names), IPv4 number forms, percent-decoding of hosts.
    const SPECIAL = { "http:": "80", "https:": "443", "ws:": "80", "wss:": "443", "ftp:": "21", "file:": "" };
    const PATH_SET = /[\x00-\x20"#<>?`{}\x7f-\u{10ffff}]/gu;
    const QUERY_SET = /[\x00-\x20"#<>\x7f-\u{10ffff}]/gu;
    const SPECIAL_QUERY_SET = /[\x00-\x20"#<>'\x7f-\u{10ffff}]/gu;
    const FRAGMENT_SET = /[\x00-\x20"<>`\x7f-\u{10ffff}]/gu;
    const USERINFO_SET = /[\x00-\x20"#<>?`{}/:;=@[\\\]^|\x7f-\u{10ffff}]/gu;
    const wellFormed = (s) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
    const encodeSet = (s, set) => wellFormed(s).replace(set, (c) => encodeURIComponent(c));
    const FORBIDDEN_HOST = /[\x00-\x20#%/:<>?@[\\\]^|]/;
    const URL_STATE = Symbol("url");
    const OWNER = Symbol("owner");
    const LIST = Symbol("list");

    const normalizePath = (path, special) => {
        if (special) path = path.replace(/\\/g, "/");
        const segments = path.split("/");
        if (segments[0] === "") segments.shift();
        const out = [];
        segments.forEach((seg, i) => {
            const s = seg.toLowerCase();
            const last = i === segments.length - 1;
            if (s === ".." || s === ".%2e" || s === "%2e." || s === "%2e%2e") {
                out.pop();
                if (last) out.push("");
            } else if (s === "." || s === "%2e") {
                if (last) out.push("");
            } else {
                out.push(encodeSet(seg, PATH_SET));
            }
        });
        return "/" + out.join("/");
    };

    // Splits "path?query#fragment" (null for an absent query or fragment).
    const splitRest = (rest) => {
        let fragment = null;
        let query = null;
        const hash = rest.indexOf("#");
        if (hash >= 0) {
            fragment = rest.slice(hash + 1);
            rest = rest.slice(0, hash);
        }
        const q = rest.indexOf("?");
        if (q >= 0) {
            query = rest.slice(q + 1);
            rest = rest.slice(0, q);
        }
        return { path: rest, query, fragment };
    };

    const parseAuthority = (state, rest) => {
        const special = state.protocol in SPECIAL;
        const end = rest.search(special ? /[/\\?#]/ : /[/?#]/);
        let authority = end < 0 ? rest : rest.slice(0, end);
        rest = end < 0 ? "" : rest.slice(end);
        const at = authority.lastIndexOf("@");
        if (at >= 0) {
            const userinfo = authority.slice(0, at);
            const colon = userinfo.indexOf(":");
            state.username = encodeSet(colon < 0 ? userinfo : userinfo.slice(0, colon), USERINFO_SET);
            state.password = colon < 0 ? "" : encodeSet(userinfo.slice(colon + 1), USERINFO_SET);
            authority = authority.slice(at + 1);
        }
        let host = authority;
        let port = "";
        const portMatch = /:(\d*)$/.exec(authority);
        if (portMatch && !(authority.startsWith("[") && !authority.includes("]:"))) {
            host = authority.slice(0, portMatch.index);
            port = portMatch[1];
        } else if (/:[^\]]*$/.test(authority) && !authority.startsWith("[")) {
            return false;
        }
        if (host.startsWith("[")) {
            if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) return false;
            host = host.toLowerCase();
        } else {
            if (FORBIDDEN_HOST.test(host)) return false;
            if (special) host = host.toLowerCase();
        }
        if (special && state.protocol !== "file:" && host === "") return false;
        if (port !== "") {
            const n = Number(port);
            if (n > 65535) return false;
            port = String(n);
            if (SPECIAL[state.protocol] === port) port = "";
        }
        state.hostname = host;
        state.port = port;
        const parts = splitRest(rest);
        state.pathname = special || parts.path !== "" ? normalizePath(parts.path, special) : "";
        state.query = parts.query === null ? null : encodeSet(parts.query, special ? SPECIAL_QUERY_SET : QUERY_SET);
        state.fragment = parts.fragment === null ? null : encodeSet(parts.fragment, FRAGMENT_SET);
        return true;
    };

    const parseURL = (input, base) => {
        const state = { protocol: "", username: "", password: "", hostname: null, port: "", pathname: "", query: null,
            fragment: null, opaque: false };
        const m = /^([A-Za-z][A-Za-z0-9+.-]*):([\s\S]*)$/.exec(input);
        if (m) {
            state.protocol = m[1].toLowerCase() + ":";
            const rest = m[2];
            if (state.protocol in SPECIAL) {
                if (base && base.protocol === state.protocol && !/^[/\\]/.test(rest)) return resolve(state, rest, base);
                return parseAuthority(state, rest.replace(/^[/\\]*/, "")) ? state : null;
            }
            if (rest.startsWith("//")) return parseAuthority(state, rest.slice(2)) ? state : null;
            const parts = splitRest(rest);
            state.opaque = true;
            state.pathname = parts.path;
            state.query = parts.query === null ? null : encodeSet(parts.query, QUERY_SET);
            state.fragment = parts.fragment === null ? null : encodeSet(parts.fragment, FRAGMENT_SET);
            return state;
        }
        if (!base) return null;
        state.protocol = base.protocol;
        return resolve(state, input, base);
    };

    // input relative to base, whose scheme state already has
    const resolve = (state, input, base) => {
        const special = state.protocol in SPECIAL;
        if (base.opaque) {
            if (!input.startsWith("#")) return null;
            Object.assign(state, base, { fragment: encodeSet(input.slice(1), FRAGMENT_SET) });
            return state;
        }
        if (/^\/\//.test(input) || (special && /^[/\\]{2}/.test(input))) {
            return parseAuthority(state, input.slice(2)) ? state : null;
        }
        Object.assign(state, { username: base.username, password: base.password, hostname: base.hostname, port: base.port });
        const parts = splitRest(input);
        if (parts.path === "") {
            state.pathname = base.pathname;
            state.query = parts.query === null && !input.startsWith("#") ? (input.startsWith("?") ? "" : base.query) : null;
            if (parts.query !== null) state.query = encodeSet(parts.query, special ? SPECIAL_QUERY_SET : QUERY_SET);
            else if (input.startsWith("#")) state.query = base.query;
        } else {
            let path = parts.path;
            if (!(path.startsWith("/") || (special && path.startsWith("\\")))) {
                path = base.pathname.slice(0, base.pathname.lastIndexOf("/") + 1) + path;
            }
            state.pathname = normalizePath(path, special);
            state.query = parts.query === null ? null : encodeSet(parts.query, special ? SPECIAL_QUERY_SET : QUERY_SET);
        }
        state.fragment = parts.fragment === null ? null : encodeSet(parts.fragment, FRAGMENT_SET);
        return state;
    };

    class URL {
        constructor(url, base) {
            const input = String(url).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "").replace(/[\t\n\r]/g, "");
            let baseState = null;
            if (base !== undefined) baseState = (base instanceof URL ? base : new URL(base))[URL_STATE];
            const state = parseURL(input, baseState);
            if (!state) throw new TypeError(`Invalid URL: ${url}`);
            this[URL_STATE] = state;
            this[OWNER] = null;
        }
        static canParse(url, base) {
            try {
                new URL(url, base);
                return true;
            } catch (e) {
                return false;
            }
        }
        get href() {
            const s = this[URL_STATE];
            let out = s.protocol;
            if (s.hostname !== null) {
                out += "//";
                if (s.username || s.password) out += s.username + (s.password ? ":" + s.password : "") + "@";
                out += s.hostname + (s.port ? ":" + s.port : "");
            }
            out += s.pathname;
            if (s.query !== null) out += "?" + s.query;
            if (s.fragment !== null) out += "#" + s.fragment;
            return out;
        }
        set href(value) {
            const state = parseURL(String(value), null);
            if (!state) throw new TypeError(`Invalid URL: ${value}`);
            this[URL_STATE] = state;
            if (this[OWNER]) this[OWNER][LIST] = parseQuery(state.query || "");
        }
        get origin() {
            const s = this[URL_STATE];
            if (!(s.protocol in SPECIAL) || s.protocol === "file:") return "null";
            return `${s.protocol}//${this.host}`;
        }
        get protocol() { return this[URL_STATE].protocol; }
        set protocol(value) {
            const p = String(value).replace(/:.*$/, "").toLowerCase() + ":";
            const s = this[URL_STATE];
            if (/^[a-z][a-z0-9+.-]*:$/.test(p) && (p in SPECIAL) === (s.protocol in SPECIAL)) {
                s.protocol = p;
                if (SPECIAL[p] === s.port) s.port = "";
            }
        }
        get username() { return this[URL_STATE].username; }
        set username(value) { this[URL_STATE].username = encodeSet(String(value), USERINFO_SET); }
        get password() { return this[URL_STATE].password; }
        set password(value) { this[URL_STATE].password = encodeSet(String(value), USERINFO_SET); }
        get host() {
            const s = this[URL_STATE];
            return s.hostname === null ? "" : s.hostname + (s.port ? ":" + s.port : "");
        }
        set host(value) {
            const probe = parseURL(`${this.protocol}//${String(value)}`, null);
            if (probe) Object.assign(this[URL_STATE], { hostname: probe.hostname, port: probe.port });
        }
        get hostname() { return this[URL_STATE].hostname || ""; }
        set hostname(value) {
            const probe = parseURL(`${this.protocol}//${String(value).replace(/:.*$/, "")}`, null);
            if (probe) this[URL_STATE].hostname = probe.hostname;
        }
        get port() { return this[URL_STATE].port; }
        set port(value) {
            const v = String(value);
            if (v === "") this[URL_STATE].port = "";
            else if (/^\d+/.test(v) && Number(/^\d+/.exec(v)[0]) <= 65535) {
                const port = String(Number(/^\d+/.exec(v)[0]));
                this[URL_STATE].port = SPECIAL[this.protocol] === port ? "" : port;
            }
        }
        get pathname() { return this[URL_STATE].pathname; }
        set pathname(value) {
            const s = this[URL_STATE];
            if (s.opaque) return;
            const special = s.protocol in SPECIAL;
            const v = String(value);
            s.pathname = normalizePath(v.startsWith("/") || (special && v.startsWith("\\")) ? v : "/" + v, special);
        }
        get search() {
            const q = this[URL_STATE].query;
            return q ? "?" + q : "";
        }
        set search(value) {
            let v = String(value);
            if (v.startsWith("?")) v = v.slice(1);
            const special = this.protocol in SPECIAL;
            this[URL_STATE].query = v === "" ? null : encodeSet(v, special ? SPECIAL_QUERY_SET : QUERY_SET);
            if (this[OWNER]) this[OWNER][LIST] = parseQuery(v);
        }
        get searchParams() {
            if (!this[OWNER]) {
                const params = new URLSearchParams(this[URL_STATE].query || "");
                params[OWNER] = this;
                this[OWNER] = params;
            }
            return this[OWNER];
        }
        get hash() {
            const f = this[URL_STATE].fragment;
            return f ? "#" + f : "";
        }
        set hash(value) {
            let v = String(value);
            if (v.startsWith("#")) v = v.slice(1);
            this[URL_STATE].fragment = v === "" ? null : encodeSet(v, FRAGMENT_SET);
        }
        toString() { return this.href; }
        toJSON() { return this.href; }
    }

    // application/x-www-form-urlencoded
    const formEncode = (s) =>
        encodeURIComponent(wellFormed(s)).replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
            .replace(/%20/g, "+");
    const formDecode = (s) => {
        s = s.replace(/\+/g, " ");
        try {
            return decodeURIComponent(s);
        } catch (e) {
            // malformed escapes stay as they are; valid ones are decoded as UTF-8 bytes
            const bytes = [];
            for (let i = 0; i < s.length; i++) {
                if (s[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
                    bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    for (const b of utf8.encode(s[i] + (/[\ud800-\udbff]/.test(s[i]) ? s[++i] || "" : ""))) bytes.push(b);
                }
            }
            return native.utf8Decode(new Uint8Array(bytes), false);
        }
    };
    const parseQuery = (query) => {
        const list = [];
        for (const part of query.split("&")) {
            if (part === "") continue;
            const eq = part.indexOf("=");
            list.push(eq < 0 ? [formDecode(part), ""] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
        }
        return list;
    };

    class URLSearchParams {
        constructor(init = "") {
            this[OWNER] = null;
            if (init instanceof URLSearchParams) {
                this[LIST] = init[LIST].map(([k, v]) => [k, v]);
            } else if (typeof init === "object" && init !== null) {
                this[LIST] = [];
                if (typeof init[Symbol.iterator] === "function") {
                    for (const pair of init) {
                        const p = Array.from(pair);
                        if (p.length !== 2) throw new TypeError("URLSearchParams: each pair needs a name and a value");
                        this[LIST].push([String(p[0]), String(p[1])]);
                    }
                } else {
                    for (const key of Object.keys(init)) this[LIST].push([key, String(init[key])]);
                }
            } else {
                const s = String(init);
                this[LIST] = parseQuery(s.startsWith("?") ? s.slice(1) : s);
            }
        }
        // keeps the URL this belongs to in step
        _update() {
            const url = this[OWNER];
            if (url) {
                const s = this.toString();
                url[URL_STATE].query = s === "" ? null : s;
            }
        }
        get size() { return this[LIST].length; }
        append(name, value) {
            this[LIST].push([String(name), String(value)]);
            this._update();
        }
        delete(name, value) {
            name = String(name);
            this[LIST] = this[LIST].filter(([k, v]) => k !== name || (value !== undefined && v !== String(value)));
            this._update();
        }
        get(name) {
            name = String(name);
            const pair = this[LIST].find(([k]) => k === name);
            return pair ? pair[1] : null;
        }
        getAll(name) {
            name = String(name);
            return this[LIST].filter(([k]) => k === name).map(([, v]) => v);
        }
        has(name, value) {
            name = String(name);
            return this[LIST].some(([k, v]) => k === name && (value === undefined || v === String(value)));
        }
        set(name, value) {
            name = String(name);
            value = String(value);
            const i = this[LIST].findIndex(([k]) => k === name);
            if (i < 0) this[LIST].push([name, value]);
            else this[LIST] = this[LIST].filter(([k], j) => j === i || k !== name).map((p, j) => (j === i ? [name, value] : p));
            this._update();
        }
        sort() {
            this[LIST] = this[LIST].map((p, i) => [p, i])
                .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([p]) => p);
            this._update();
        }
        forEach(callback, thisArg) {
            for (const [k, v] of this[LIST]) callback.call(thisArg, v, k, this);
        }
        *entries() { for (const [k, v] of this[LIST]) yield [k, v]; }
        *keys() { for (const [k] of this[LIST]) yield k; }
        *values() { for (const [, v] of this[LIST]) yield v; }
        [Symbol.iterator]() { return this.entries(); }
        toString() { return this[LIST].map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&"); }
    }
    defineGlobal("URL", URL);
    defineGlobal("URLSearchParams", URLSearchParams);

    // ---- Headers ------------------------------------------------------------------------------

    const MAP = Symbol("map");
    const COOKIES = Symbol("cookies");
    // a token, lower-cased / surrounding whitespace removed, no CR, LF or NUL (TypeError otherwise)
    const headerName = native.headerName;
    const headerValue = native.headerValue;

    // Case-insensitive, names kept lower-case; set-cookie values are kept apart (never joined).
    class Headers {
        constructor(init) {
            this[MAP] = new Map();
            this[COOKIES] = null;
            if (init === undefined || init === null) return;
            if (init instanceof Headers) {
                for (const [k, v] of init) this.append(k, v);
            } else if (typeof init === "object" && typeof init[Symbol.iterator] === "function") {
                for (const pair of init) {
                    const p = Array.from(pair);
                    if (p.length !== 2) throw new TypeError("Headers: each pair needs a name and a value");
                    this.append(p[0], p[1]);
                }
            } else if (typeof init === "object") {
                for (const key of Object.keys(init)) this.append(key, init[key]);
            } else {
                throw new TypeError("Headers: expected an object, an array of pairs or Headers");
            }
        }
        append(name, value) {
            name = headerName(name);
            value = headerValue(value);
            if (name === "set-cookie") {
                if (this[COOKIES] === null) this[COOKIES] = [];
                this[COOKIES].push(value);
                return;
            }
            const old = this[MAP].get(name);
            this[MAP].set(name, old === undefined ? value : old + ", " + value);
        }
        set(name, value) {
            name = headerName(name);
            value = headerValue(value);
            if (name === "set-cookie") this[COOKIES] = [value];
            else this[MAP].set(name, value);
        }
        get(name) {
            name = headerName(name);
            if (name === "set-cookie") return this[COOKIES] === null ? null : this[COOKIES].join(", ");
            const v = this[MAP].get(name);
            return v === undefined ? null : v;
        }
        has(name) {
            name = headerName(name);
            return name === "set-cookie" ? this[COOKIES] !== null : this[MAP].has(name);
        }
        delete(name) {
            name = headerName(name);
            if (name === "set-cookie") this[COOKIES] = null;
            else this[MAP].delete(name);
        }
        getSetCookie() {
            return this[COOKIES] === null ? [] : this[COOKIES].slice();
        }
        forEach(callback, thisArg) {
            for (const [k, v] of this) callback.call(thisArg, v, k, this);
        }
        // sorted by name, as the Fetch standard iterates them
        *entries() {
            const names = Array.from(this[MAP].keys());
            if (this[COOKIES] !== null) names.push("set-cookie");
            names.sort();
            for (const name of names) {
                if (name === "set-cookie") for (const c of this[COOKIES]) yield [name, c];
                else yield [name, this[MAP].get(name)];
            }
        }
        *keys() { for (const [k] of this.entries()) yield k; }
        *values() { for (const [, v] of this.entries()) yield v; }
        [Symbol.iterator]() { return this.entries(); }
    }

    // The headers of a fetched response. No import lists a response's headers, so get() and has()
    // ask the platform for each name (http_header) and remember the answer; iterating shows the
    // names asked so far plus a fixed list of common ones, asked on the first iteration.
    const HANDLE = Symbol("handle");
    const ASKED = Symbol("asked");
    const PROBE = Symbol("probe");
    const COMMON_HEADERS = ["access-control-allow-origin", "age", "cache-control", "content-disposition",
        "content-encoding", "content-language", "content-length", "content-type", "date", "etag", "expires",
        "last-modified", "link", "location", "retry-after", "server", "set-cookie", "vary", "www-authenticate",
        "x-request-id"];
    class RemoteHeaders extends Headers {
        constructor(handle) {
            super();
            this[HANDLE] = handle;
            this[ASKED] = new Set();
        }
        [PROBE](name) {
            if (this[ASKED].has(name)) return;
            this[ASKED].add(name);
            const value = native.httpHeader(this[HANDLE], name);
            if (value === null) return;
            if (name === "set-cookie") this[COOKIES] = [value];
            else this[MAP].set(name, value);
        }
        get(name) {
            this[PROBE](headerName(name));
            return super.get(name);
        }
        has(name) {
            this[PROBE](headerName(name));
            return super.has(name);
        }
        append(name, value) {
            this[PROBE](headerName(name));
            super.append(name, value);
        }
        set(name, value) {
            this[ASKED].add(headerName(name));
            super.set(name, value);
        }
        delete(name) {
            this[ASKED].add(headerName(name));
            super.delete(name);
        }
        *entries() {
            for (const name of COMMON_HEADERS) this[PROBE](name);
            yield* super.entries();
        }
    }
    defineGlobal("Headers", Headers);

    // ---- Bodies, Request, Response ------------------------------------------------------------

    // A body is null, a string, a Uint8Array, REQUEST_BODY (the invocation's request body, read
    // on demand) or {handle} (a fetched response's body, read on demand).
    const BODY = Symbol("body");
    const USED = Symbol("used");
    const REQUEST_BODY = Object.freeze({ request: true });

    // What `response.body` / `request.body` give: no streams, but a marker that new Response()
    // and fetch() accept as the same body, so `new Response(request.body)` echoes.
    class BodyStream {
        constructor(source) { this[BODY] = source; }
        getReader() {
            throw new TypeError("streams are not supported: use text(), json() or arrayBuffer()");
        }
    }

    const TEXT_TYPE = "text/plain;charset=UTF-8";
    const FORM_TYPE = "application/x-www-form-urlencoded;charset=UTF-8";
    // the content-type a body gives when the headers have none
    const defaultType = (body) => {
        if (typeof body === "string") return TEXT_TYPE;
        if (body === null || body === undefined || body instanceof ArrayBuffer || ArrayBuffer.isView(body) ||
            body instanceof BodyStream) {
            return null;
        }
        return body instanceof URLSearchParams ? FORM_TYPE : TEXT_TYPE;
    };
    const setDefaultType = (headers, type) => {
        if (type !== null && !headers.has("content-type")) headers.set("content-type", type);
    };
    const toSource = (body) => {
        if (body === null || body === undefined) return null;
        if (typeof body === "string") return body;
        if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return asUint8(body);
        if (body instanceof BodyStream) return body[BODY];
        // URLSearchParams as a form; Blob, FormData and ReadableStream are not supported: other
        // values become strings, as the Fetch standard does with them
        return String(body);
    };
    const sourceText = (src) => {
        if (src === null) return "";
        if (typeof src === "string") return src;
        if (src instanceof Uint8Array) return native.utf8Decode(src, false);
        if (src === REQUEST_BODY) return native.requestText();
        return native.handleText(src.handle);
    };
    const sourceBytes = (src) => {
        if (src === null) return new Uint8Array(0);
        if (typeof src === "string") return utf8.encode(src);
        if (src instanceof Uint8Array) return src.slice();
        if (src === REQUEST_BODY) return new Uint8Array(native.requestBytes());
        return new Uint8Array(native.handleBytes(src.handle));
    };
    // bytes for native.write / native.httpRequest: a string or a Uint8Array
    const sourceRaw = (src) => {
        if (src === null || typeof src === "string" || src instanceof Uint8Array) return src;
        return sourceBytes(src);
    };

    // The body methods, copied onto Request.prototype and Response.prototype (a mixin rather
    // than a base class: a derived constructor's super() call costs every new Response()).
    const consume = (r) => {
        if (r[USED]) throw new TypeError("the body has already been read");
        r[USED] = true;
        return r[BODY];
    };
    const bodyMethods = {
        get bodyUsed() { return this[USED]; },
        get body() {
            const src = this[BODY];
            if (src === null || (src === REQUEST_BODY && (this[METHOD] === "GET" || this[METHOD] === "HEAD"))) return null;
            return new BodyStream(src);
        },
        text() {
            try {
                return Promise.resolve(sourceText(consume(this)));
            } catch (e) {
                return Promise.reject(e);
            }
        },
        json() {
            try {
                return Promise.resolve(JSON.parse(sourceText(consume(this))));
            } catch (e) {
                return Promise.reject(e);
            }
        },
        arrayBuffer() {
            try {
                return Promise.resolve(sourceBytes(consume(this)).buffer);
            } catch (e) {
                return Promise.reject(e);
            }
        },
        bytes() {
            try {
                return Promise.resolve(sourceBytes(consume(this)));
            } catch (e) {
                return Promise.reject(e);
            }
        },
    };
    // Copies the body methods, and gives the prototype default slots: an instance sets only the
    // slots that differ (fewer properties to add to each new object).
    const mixBody = (cls, defaults) => {
        for (const key of Object.getOwnPropertyNames(bodyMethods)) {
            const desc = Object.getOwnPropertyDescriptor(bodyMethods, key);
            desc.enumerable = false;
            Object.defineProperty(cls.prototype, key, desc);
        }
        for (const key of Object.getOwnPropertySymbols(defaults)) {
            Object.defineProperty(cls.prototype, key, { value: defaults[key], writable: true, configurable: true });
        }
    };

    const METHOD = Symbol("method");
    const URL_TEXT = Symbol("url");
    const HEADERS = Symbol("headers");
    const STATUS = Symbol("status");
    const STATUS_TEXT = Symbol("statusText");

    class Request {
        constructor(input, init) {
            init = init === undefined || init === null ? {} : init;
            const from = input instanceof Request ? input : null;
            this[URL_TEXT] = from ? from.url : new URL(input instanceof URL ? input.href : String(input)).href;
            this[METHOD] = init.method !== undefined ? String(init.method).toUpperCase() : from ? from.method : "GET";
            this[HEADERS] = new Headers(init.headers !== undefined ? init.headers : from ? from.headers : undefined);
            if (init.body !== undefined) setDefaultType(this[HEADERS], defaultType(init.body));
            this[BODY] = init.body !== undefined ? toSource(init.body) : from ? from[BODY] : null;
            this[USED] = false;
            const bodyless = this[METHOD] === "GET" || this[METHOD] === "HEAD";
            // the invocation's request keeps whatever body came with it, even with GET; a GET or
            // HEAD request made from it (or from its body) leaves that out
            if (bodyless && this[BODY] === REQUEST_BODY) this[BODY] = null;
            if (this[BODY] !== null && bodyless) {
                throw new TypeError(`a ${this[METHOD]} request cannot have a body`);
            }
        }
        get method() { return this[METHOD]; }
        get url() { return this[URL_TEXT]; }
        get headers() {
            // the invocation's request: headers made from the environment on first use (one the
            // Fetch standard would refuse is left out rather than failing the handler)
            if (this[HEADERS] === null) {
                const headers = new Headers();
                for (const [name, value] of native.requestHeaders()) {
                    try {
                        headers.append(name, value);
                    } catch (e) {
                        // not a token, or CR/LF in the value
                    }
                }
                this[HEADERS] = headers;
            }
            return this[HEADERS];
        }
        get redirect() { return "manual"; }
        clone() {
            if (this[USED]) throw new TypeError("the body has already been read");
            return new Request(this);
        }
    }

    // Request.prototype's defaults are the invocation's request's (a new Request sets its own).
    mixBody(Request, { [HEADERS]: null, [BODY]: REQUEST_BODY, [USED]: false });
    const incomingRequest = (method, url) => {
        const r = Object.create(Request.prototype);
        r[METHOD] = method;
        r[URL_TEXT] = url;
        return r;
    };

    // A response's headers stay a flat [name, value, ...] array (checked by native.flatHeaders)
    // until response.headers is asked for: most handlers never ask, and sending the array is
    // one call.
    const FLAT = Symbol("flat");
    const isPlainObject = (v) => {
        if (v === null || typeof v !== "object") return false;
        const proto = Object.getPrototypeOf(v);
        return proto === Object.prototype || proto === null;
    };
    // flat headers without init.headers (never modified: the headers getter copies them)
    const FLAT_TEXT = ["content-type", TEXT_TYPE];
    const FLAT_BY_TYPE = new Map([[null, []], [TEXT_TYPE, FLAT_TEXT],
        ["application/json", ["content-type", "application/json"]], [FORM_TYPE, ["content-type", FORM_TYPE]]]);
    const initResponse = (r, source, type, init) => {
        let status = 200;
        let headers;
        if (init !== undefined && init !== null) {
            if (init.status !== undefined) {
                status = Number(init.status);
                if (!Number.isInteger(status) || status < 200 || status > 599) {
                    throw new RangeError(`Response status ${init.status} is not an integer from 200 to 599`);
                }
                r[STATUS] = status;
            }
            if (init.statusText !== undefined) r[STATUS_TEXT] = String(init.statusText);
            headers = init.headers;
        }
        if (source !== null && (status === 204 || status === 205 || status === 304)) {
            throw new TypeError(`a ${status} response cannot have a body`);
        }
        if (headers === undefined || headers === null) {
            r[FLAT] = FLAT_BY_TYPE.get(type);
        } else if (isPlainObject(headers)) {
            r[FLAT] = native.flatHeaders(headers, type);
        } else {
            r[HEADERS] = new Headers(headers);
            setDefaultType(r[HEADERS], type);
        }
        r[BODY] = source;
        return r;
    };

    class Response {
        constructor(body = null, init) {
            if (typeof body === "string" && init === undefined) {
                // new Response("text"), the most common, in short
                this[BODY] = body;
                this[FLAT] = FLAT_TEXT;
                return;
            }
            initResponse(this, toSource(body), defaultType(body), init);
        }
        static json(data, init) {
            const text = JSON.stringify(data);
            if (text === undefined) throw new TypeError("Response.json(): the value cannot be serialised as JSON");
            return initResponse(Object.create(Response.prototype), text, "application/json", init);
        }
        static redirect(url, status = 302) {
            if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`invalid redirect status ${status}`);
            return new Response(null, { status, headers: { location: String(url instanceof URL ? url.href : url) } });
        }
        get status() { return this[STATUS]; }
        get statusText() { return this[STATUS_TEXT]; }
        get ok() { return this[STATUS] >= 200 && this[STATUS] <= 299; }
        get headers() {
            if (this[HEADERS] === null) {
                const headers = new Headers();
                const flat = this[FLAT] || [];
                for (let i = 0; i < flat.length; i += 2) headers.append(flat[i], flat[i + 1]);
                this[HEADERS] = headers;
                this[FLAT] = null;
            }
            return this[HEADERS];
        }
        get redirected() { return false; }
        get type() { return "default"; }
        get url() { return this[URL_TEXT]; }
        clone() {
            if (this[USED]) throw new TypeError("the body has already been read");
            const r = Object.create(Response.prototype);
            r[STATUS] = this[STATUS];
            r[STATUS_TEXT] = this[STATUS_TEXT];
            r[HEADERS] = this[HEADERS] === null ? null : new Headers(this[HEADERS]);
            r[FLAT] = this[FLAT] === null ? null : this[FLAT].slice();
            r[BODY] = this[BODY];
            r[URL_TEXT] = this[URL_TEXT];
            return r;
        }
    }
    mixBody(Response, { [STATUS]: 200, [STATUS_TEXT]: "", [HEADERS]: null, [FLAT]: null, [BODY]: null, [USED]: false,
        [URL_TEXT]: "" });
    defineGlobal("Request", Request);
    defineGlobal("Response", Response);

    // ---- fetch --------------------------------------------------------------------------------

    const FETCH_REASONS = {
        "-1": "not granted by capabilities.http",
        "-3": "too large",
        "-4": "request failed",
        "-5": "too many requests",
        "-6": "invalid request",
    };
    // The platform sets these itself (and a guest's are dropped).
    const PLATFORM_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection"]);

    async function fetch(input, init) {
        let request;
        try {
            request = new Request(input, init);
        } catch (e) {
            throw new TypeError(`fetch ${input instanceof Request ? input.url : String(input)}: ${e.message}`);
        }
        const url = request.url;
        let block = `${request.method} ${url}`;
        for (const [name, value] of request.headers) if (!PLATFORM_HEADERS.has(name)) block += `\n${name}: ${value}`;
        const handle = native.httpRequest(block, sourceRaw(request[BODY]));
        if (handle < 0) {
            const e = new TypeError(`fetch ${url}: ${FETCH_REASONS[handle] || REASONS[handle] || "error"} (${handle})`);
            e.code = handle;
            throw e;
        }
        const r = Object.create(Response.prototype);
        r[STATUS] = native.httpStatus(handle);
        r[STATUS_TEXT] = "";
        r[HEADERS] = new RemoteHeaders(handle);
        r[BODY] = { handle };
        r[URL_TEXT] = url;
        return r;
    }
    defineGlobal("fetch", fetch);

    // ---- env: the manifest's env and the key-value stores -------------------------------------

    const kvValue = (value) => (value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? asUint8(value) : String(value));
    const makeStore = (name) => ({
        // get(key) / get(key, "json" | "arrayBuffer" | "text") / get(key, {type})
        get(key, options) {
            return attempt(() => {
                const type = typeof options === "string" ? options : (options && options.type) || "text";
                const value = native.kvGet(name, String(key), type === "arrayBuffer");
                if (value === null || type === "text" || type === "arrayBuffer") return value;
                if (type === "json") return JSON.parse(value);
                throw new TypeError(`kv ${name}.get(): unknown type '${type}'`);
            });
        },
        put(key, value) { return attempt(() => { native.kvPut(name, String(key), kvValue(value)); }); },
        // resolves true when a value was deleted, false when there was none
        delete(key) { return attempt(() => native.kvDelete(name, String(key))); },
        incr(key, delta = 1) {
            return attempt(() => {
                if (!Number.isSafeInteger(delta)) throw new RangeError(`kv ${name}.incr(): the delta must be an integer`);
                return native.kvIncr(name, String(key), delta);
            });
        },
        // compare and swap: resolves true when swapped; expected null means "only if absent"
        cas(key, expected, value) {
            return attempt(() =>
                native.kvCas(name, String(key), expected === null || expected === undefined ? null : kvValue(expected),
                    kvValue(value)));
        },
        list(options) {
            return attempt(() => {
                const prefix = options && options.prefix !== undefined ? String(options.prefix) : "";
                const limit = options && options.limit !== undefined ? Number(options.limit) : 1000;
                const text = native.kvKeys(name, prefix, limit);
                const keys = text.split("\n");
                if (keys[keys.length - 1] === "") keys.pop();
                return keys;
            });
        },
    });

    const env = {};
    const manifestEnv = config.env && typeof config.env === "object" ? config.env : {};
    for (const key of Object.keys(manifestEnv)) env[key] = String(manifestEnv[key]);
    for (const store of Array.isArray(config.kv) ? config.kv : []) env[store] = makeStore(String(store));

    // ---- The invocation -----------------------------------------------------------------------

    // The platform sets these itself.
    const FRAMING_HEADERS = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);
    const send = (response) => {
        if (!(response instanceof Response)) {
            throw new TypeError(`fetch() must return a Response or a Promise of one, not ${describe(response)}`);
        }
        native.status(response[STATUS]);
        const headers = response[HEADERS];
        if (headers === null) {
            native.sendHeaders(response[FLAT]);
        } else {
            if (headers instanceof RemoteHeaders) for (const name of COMMON_HEADERS) headers[PROBE](name);
            for (const [name, value] of headers[MAP]) if (!FRAMING_HEADERS.has(name)) native.header(name, value);
            if (headers[COOKIES] !== null) for (const value of headers[COOKIES]) native.header("set-cookie", value);
        }
        const src = response[BODY];
        if (src === null) return;
        if (typeof src === "string" || src instanceof Uint8Array) native.write(src);
        else if (src === REQUEST_BODY) native.write(new Uint8Array(native.requestBytes()));
        else native.writeHandle(src.handle);
    };

    // ---- Warm-up, once in iv_init -------------------------------------------------------------

    // Every invocation starts from the snapshot iv_init leaves, so whatever is made lazily is
    // made again by every invocation. QuickJS creates each built-in function on its first use
    // (Promise.prototype.then, JSON.stringify, ...): create them all now; and take the
    // request/response path once, so that what it creates on the way is in the snapshot too.
    const instantiate = (o) => {
        if (o === null || (typeof o !== "object" && typeof o !== "function")) return;
        for (const key of Reflect.ownKeys(o)) Object.getOwnPropertyDescriptor(o, key);
    };
    instantiate(native);
    for (const name of Object.getOwnPropertyNames(global)) {
        const value = Object.getOwnPropertyDescriptor(global, name).value;
        instantiate(value);
        if (typeof value === "function") instantiate(value.prototype);
    }
    const protoOf = Object.getPrototypeOf;
    for (const o of [protoOf(Uint8Array), protoOf(Uint8Array.prototype), protoOf([][Symbol.iterator]()),
        protoOf(protoOf([][Symbol.iterator]())), protoOf(new Map().entries()), protoOf(new Set().values()),
        protoOf(""[Symbol.iterator]()), protoOf(async function () {}), protoOf(function* () {}),
        protoOf(protoOf((function* () {})())), protoOf(async function* () {}), protoOf(/x/[Symbol.matchAll](""))]) {
        instantiate(o);
    }
    (async () => {
        const request = incomingRequest("GET", "http://warm.invalid/");
        request[BODY] = "";
        await request.text();
        const response = new Response("x", { status: 201, headers: { "content-type": "text/plain" } });
        response.headers.get("content-type");
        await response.text();
        Response.json({ a: 1 });
        new Headers([["a", "b"]]).forEach(() => {});
    })();

    let handler = null;
    // fetch's third argument, as in Workers: ctx.waitUntil(promise) keeps the invocation going
    // after its response is written, until the promise settles (runtime.c reads waits.count).
    const waits = { count: 0 };
    const context = {
        waitUntil(promise) {
            waits.count++;
            Promise.resolve(promise).then(
                () => { waits.count--; },
                (e) => { waits.count--; write("error: Uncaught (in waitUntil) ", [e]); });
        },
        passThroughOnException() {},
    };
    return {
        setHandler(h) { handler = h; },
        timer: runTimer,
        send,
        waits,
        // Starts one invocation: calls the handler and sends a Response it returns at once;
        // returns undefined then, or the promise it returned (runtime.c runs the job queue and
        // timers until it settles, then calls send with its value).
        run(method, url) {
            waits.count = 0;
            const result = handler.fetch(incomingRequest(method, url), env, context);
            if (result !== null && typeof result === "object" && typeof result.then === "function" &&
                !(result instanceof Response)) {
                return result instanceof Promise ? result : Promise.resolve(result);
            }
            send(result);  // a TypeError for anything but a Response
            return undefined;
        },
    };
})
