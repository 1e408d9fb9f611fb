// runtime.h — what runtime.c (the runtime's life cycle: iv_init, iv_main, modules, errors,
// memory) and native.c (the C functions prelude.js calls) share.
#ifndef CVMFAAS_JS_RUNTIME_H
#define CVMFAAS_JS_RUNTIME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include "intravisor.h"
#include "quickjs.h"

// Set by iv_init (runtime.c).
extern JSValue error_ctor;    // the global Error, for errors with a stack
extern JSValue manifest_env;  // the manifest's env (whose HTTP_* variables are not headers)
extern int grant_clock, grant_random;

// The current invocation (runtime.c): its WASI environment, read afresh by every iv_main, and
// the monotonic clock when it started (with the clock grant).
extern char **environ_vars;
extern size_t environ_count;
extern int64_t monotonic_origin_ns;
const char *environ_value(const char *name);

// native.c
extern const JSCFunctionListEntry native_functions[];  // the prelude's `native`
extern const size_t native_function_count;
void native_init(JSContext *c);     // in iv_init, before the prelude runs
void native_begin_invocation(void); // at the start of each iv_main
JSValue js_math_random(JSContext *c, JSValueConst this_val, int argc, JSValueConst *argv);
int iv_js_gettimeofday(struct timeval *tv, void *tz);  // QuickJS's gettimeofday (compat.h)
const char *code_reason(int64_t code);                 // "not granted", "not found", ...

static inline void log_bytes(const char *s, size_t len) { __iv_log(s, (int32_t)len); }
static inline void log_str(const char *s) { log_bytes(s, strlen(s)); }

#endif
