#!/usr/bin/env bash
# Builds the platform's JavaScript runtime, functions/build/runtime/js.wasm: QuickJS (fetched by
# fetch-quickjs.sh), runtime.c, native.c and prelude.js, as one `iv` reactor exporting memory, iv_init and
# iv_main. functions/build.sh calls it; it can also run alone:
#
#   functions/runtime/js/build.sh [OUT_DIR]      default: functions/build/runtime
#
# Make-like: nothing is done when js.wasm is newer than every input, and the engine's objects are
# kept in OUT_DIR/obj, so a change to the glue or prelude.js recompiles only the glue.
# Exit status 3: the QuickJS archive is not cached and cannot be downloaded (no pip or no network).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
functions="$(cd "$here/../.." && pwd)"
out="${1:-$functions/build/runtime}"
vendor="${JS_VENDOR_DIR:-$functions/build/vendor}"
wasm="$out/js.wasm"
obj="$out/obj"

CLANG="${CLANG:-}"
if [[ -z "$CLANG" ]]; then
    for candidate in /opt/swift/usr/bin/clang "$(command -v clang 2>/dev/null || true)"; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then CLANG="$candidate"; break; fi
    done
fi
[[ -n "$CLANG" ]] || { echo "runtime/js: clang not found (expected /opt/swift/usr/bin/clang; set CLANG)" >&2; exit 1; }
SYSROOT="${WASI_SYSROOT:-/usr}"
[[ -f "$SYSROOT/lib/wasm32-wasi/libc.a" ]] ||
    { echo "runtime/js: wasi-libc not found under $SYSROOT/lib/wasm32-wasi (run scripts/setup.sh)" >&2; exit 1; }
BUILTINS="$(ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a 2>/dev/null | tail -n 1 || true)"

# -fwrapv as upstream's Makefile: QuickJS relies on wrapping signed overflow. JS_OPT=-Os gives a
# module about a quarter smaller and a few percent slower.
OPT="${JS_OPT:--O2}"
inputs=("$here/runtime.c" "$here/native.c" "$here/runtime.h" "$here/prelude.js" "$here/compile-prelude.c" "$here/compat.h" "$here/quickjs-wasi.patch"
    "$here/fetch-quickjs.sh" "${BASH_SOURCE[0]}" "$functions/sdk/intravisor.h")
if [[ -f "$wasm" && -z "$(find "${inputs[@]}" -newer "$wasm" -print -quit)" && "$(cat "$obj/opt" 2>/dev/null)" == "$OPT" ]]; then
    exit 0
fi

rc=0
engine="$("$here/fetch-quickjs.sh" "$vendor")" || rc=$?
if ((rc != 0)); then exit "$rc"; fi
mkdir -p "$obj"
# Another optimisation level than the objects' recompiles them.
[[ "$(cat "$obj/opt" 2>/dev/null)" == "$OPT" ]] || rm -f "$obj"/*.o
echo "$OPT" > "$obj/opt"

COMMON=(--target=wasm32-wasi "--sysroot=$SYSROOT" "$OPT" -fwrapv -D_GNU_SOURCE)
ENGINE_FLAGS=("${COMMON[@]}" "-DCONFIG_VERSION=\"$(cat "$engine/VERSION")\"" -include "$here/compat.h"
    -Wno-implicit-const-int-float-conversion -Wno-unknown-warning-option)

# The engine, once per fetched copy (the stamp changes when the patch is applied again).
engine_objects=()
for name in quickjs libregexp libunicode cutils; do
    o="$obj/$name.o"
    engine_objects+=("$o")
    if [[ ! -f "$o" || "$engine/.prepared" -nt "$o" || "$here/compat.h" -nt "$o" || "${BASH_SOURCE[0]}" -nt "$o" ]]; then
        echo "  CC    runtime/js: $name.c"
        "$CLANG" "${ENGINE_FLAGS[@]}" -c "$engine/$name.c" -o "$o.tmp"
        mv -f "$o.tmp" "$o"
    fi
done

libs=(-lc)
[[ -n "$BUILTINS" ]] && libs+=("$BUILTINS")

# prelude.js as QuickJS bytecode: compile-prelude, a WASI command made of the same engine
# objects, compiles it under wasmkit (the Swift toolchain's) or node. Without either, the source
# is embedded and iv_init parses it (slower: the parse is most of iv_init).
WASMKIT="${WASMKIT:-}"
if [[ -z "$WASMKIT" ]]; then
    for candidate in /opt/swift/usr/bin/wasmkit "$(command -v wasmkit 2>/dev/null || true)"; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then WASMKIT="$candidate"; break; fi
    done
fi
NODE="$(command -v node 2>/dev/null || true)"
bytecode=0
if [[ -n "$WASMKIT" || -n "$NODE" ]]; then
    echo "  GEN   runtime/js: prelude bytecode"
    "$CLANG" "${COMMON[@]}" -isystem "$engine" -nodefaultlibs -Wl,--stack-first -Wl,-z,stack-size=1048576 \
        "$here/compile-prelude.c" "${engine_objects[@]}" \
        "${libs[@]}" -o "$obj/compile-prelude.wasm"
    cp "$here/prelude.js" "$obj/prelude.js"
    rm -f "$obj/prelude.bin"
    if [[ -n "$WASMKIT" ]]; then
        (cd "$obj" && "$WASMKIT" run --dir . compile-prelude.wasm prelude.js prelude.bin)
    else
        (cd "$obj" && "$NODE" --no-warnings -e '
            const { WASI } = require("node:wasi"), fs = require("node:fs");
            const wasi = new WASI({ version: "preview1", args: ["compile-prelude", "prelude.js", "prelude.bin"], preopens: { ".": "." } });
            const instance = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync("compile-prelude.wasm")),
                { wasi_snapshot_preview1: wasi.wasiImport });
            process.exitCode = wasi.start(instance);')
    fi
    [[ -s "$obj/prelude.bin" ]] || { echo "runtime/js: compile-prelude wrote no bytecode" >&2; exit 1; }
    bytecode=1
else
    echo "runtime/js: no wasmkit or node to compile the prelude: embedding its source (a slower iv_init)" >&2
fi
# As a C array (the source with the NUL JS_Eval wants after it).
{
    echo "/* generated by functions/runtime/js/build.sh from prelude.js; do not edit */"
    echo "#define PRELUDE_BYTECODE $bytecode"
    echo "static const unsigned char prelude_js[] = {"
    if ((bytecode)); then od -An -v -tx1 "$obj/prelude.bin"; else od -An -v -tx1 "$here/prelude.js"; fi |
        sed -E 's/[[:space:]]*([0-9a-f]{2})/0x\1,/g; s/^/    /'
    echo "    0x00};"
    echo "static const unsigned int prelude_js_len = sizeof prelude_js - 1;"
} > "$obj/prelude.h.tmp"
mv -f "$obj/prelude.h.tmp" "$obj/prelude.h"

for name in runtime native; do
    echo "  CC    runtime/js: $name.c"
    "$CLANG" "${COMMON[@]}" -Wall -Wextra -Werror=implicit-function-declaration -isystem "$engine" -I "$functions/sdk" \
        -I "$obj" -c "$here/$name.c" -o "$obj/$name.o"
done

# No start file: the platform calls neither _start nor _initialize, so iv_init runs the C
# constructors itself. The stack comes first in memory (an overflow traps instead of
# overwriting data) and is 128 KiB (runtime.c lets QuickJS use 64 KiB of it).
echo "  LD    runtime/js.wasm"
staging="$(mktemp -d "$out/.build.XXXXXX")"
if ! "$CLANG" "${COMMON[@]}" -nostartfiles -nodefaultlibs -Wl,--no-entry -Wl,--stack-first -Wl,-z,stack-size=131072 \
    -Wl,--strip-debug "$obj/runtime.o" "$obj/native.o" "${engine_objects[@]}" "${libs[@]}" -o "$staging/js.wasm"; then
    rm -rf "$staging"
    exit 1
fi
# The runtime may import intravisor functions and the WASI calls wasi-libc makes, and must
# export memory, iv_init and iv_main (functions/tools/wasm-info.py lists them).
if PYTHON="$(command -v python3)"; then
    info="$("$PYTHON" "$functions/tools/wasm-info.py" "$staging/js.wasm")"
    bad="$(grep '^import ' <<<"$info" | grep -v -E '^import (intravisor|wasi_snapshot_preview1)\.' || true)"
    for e in memory iv_init iv_main; do grep -q "^export $e " <<<"$info" || bad+=$'\n'"missing export $e"; done
    if [[ -n "${bad//$'\n'/}" ]]; then
        echo "runtime/js: js.wasm is not what the platform expects:$bad" >&2
        rm -rf "$staging"
        exit 1
    fi
fi
mv -f "$staging/js.wasm" "$wasm"
rmdir "$staging"
