/*
 * compat.h — included (clang -include) before every QuickJS source file of the runtime, so the
 * engine builds for wasm32-wasi without edits beyond quickjs-wasi.patch.
 */
#ifndef CVMFAAS_JS_COMPAT_H
#define CVMFAAS_JS_COMPAT_H

/* QuickJS reads the time with gettimeofday (Date, and the seed of Math.random). On wasi-libc
   that would be WASI clock_time_get, which a compartment without `capabilities.clock` may not
   call: the runtime answers it from the intravisor clock when the function is granted it, and
   with 0 otherwise (the prelude makes Date.now() and new Date() throw without the grant). */
#include <sys/time.h>
int iv_js_gettimeofday(struct timeval *tv, void *tz);
#define gettimeofday(tv, tz) iv_js_gettimeofday((tv), (tz))

#endif
