// compile-prelude.c — a build-time tool: compiles prelude.js to QuickJS bytecode, so that iv_init
// reads the prelude instead of parsing it (most of iv_init's time otherwise). build.sh links it
// as a WASI command from the same engine objects as js.wasm (same version, same configuration,
// same 32-bit layout, so the bytecode always matches) and runs it with wasmkit or node.
//
//   compile-prelude IN.js OUT.bin
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include "quickjs.h"

// compat.h renames QuickJS's gettimeofday; this tool may use the real one.
int iv_js_gettimeofday(struct timeval *tv, void *tz) {
    (void)tz;
    tv->tv_sec = 0, tv->tv_usec = 0;
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: compile-prelude IN.js OUT.bin\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    fseek(in, 0, SEEK_END);
    long len = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *src = malloc((size_t)len + 1);
    if (!src || fread(src, 1, (size_t)len, in) != (size_t)len) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 1;
    }
    fclose(in);
    src[len] = 0;

    JSRuntime *rt = JS_NewRuntime();
    JSContext *ctx = JS_NewContext(rt);
    // The name stack traces show for the prelude's frames (runtime.c's PRELUDE_NAME).
    JSValue fn = JS_Eval(ctx, src, (size_t)len, "<prelude>", JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
    if (JS_IsException(fn)) {
        JSValue exc = JS_GetException(ctx);
        const char *msg = JS_ToCString(ctx, exc);
        JSValue stack = JS_GetPropertyStr(ctx, exc, "stack");
        const char *where = JS_ToCString(ctx, stack);
        fprintf(stderr, "%s: %s\n%s", argv[1], msg ? msg : "error", where ? where : "");
        return 1;
    }
    size_t size;
    uint8_t *bytecode = JS_WriteObject(ctx, &size, fn, JS_WRITE_OBJ_BYTECODE);
    if (!bytecode) {
        fprintf(stderr, "%s: cannot write the bytecode\n", argv[1]);
        return 1;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(bytecode, 1, size, out) != size || fclose(out) != 0) {
        perror(argv[2]);
        return 1;
    }
    return 0;
}
