#!/usr/bin/env bash
# Builds every example under functions/ into a WebAssembly module and a deployable archive.
#
#   functions/build.sh            build what changed (make-like: sources newer than outputs)
#   functions/build.sh hello fib  build only these examples
#   functions/build.sh --clean    remove functions/build first, then build everything
#
# An example is a folder holding function.yaml. Its *.c files are compiled together into
# functions/build/NAME/NAME.wasm with the toolchain's clang and Debian's wasi-libc; then
# functions/build/NAME.tar.gz is packed with function.yaml at its root, the module, and every
# other file of the folder that is not source (*.c, *.h) or README.md (data files, e.g. data/).
#
# A Rust example has src/main.rs (abi: wasi, a wasm32-wasi binary) or src/lib.rs (abi: iv, a
# wasm32-unknown-unknown cdylib) instead, compiled with plain rustc against the SDK of
# sdk/rust (built once per target into functions/build/sdk-rust/); src/ and *.rs stay out of its
# archive. rustc: $RUSTC, else /usr/bin/rustc, else rustc on PATH, the first with the wasm32 std
# (Debian: rustc and libstd-rust-dev-wasm32); without one the Rust examples are skipped.
#
# abi: wasi examples are WASI preview 1 commands (_start). abi: iv examples are reactors that export
# iv_main (and iv_init when they define it) and may import only `intravisor` functions: the script
# checks that before packing, so a module the platform would refuse never reaches an archive.
set -euo pipefail
shopt -s nullglob

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$root/build"

CLANG="${CLANG:-}"
if [[ -z "$CLANG" ]]; then
    for candidate in /opt/swift/usr/bin/clang "$(command -v clang 2>/dev/null || true)"; do
        if [[ -n "$candidate" && -x "$candidate" ]]; then CLANG="$candidate"; break; fi
    done
fi
[[ -n "$CLANG" ]] || { echo "build.sh: clang not found (expected /opt/swift/usr/bin/clang; set CLANG)" >&2; exit 1; }
SYSROOT="${WASI_SYSROOT:-/usr}"
if [[ ! -f "$SYSROOT/lib/wasm32-wasi/libc.a" ]]; then
    echo "build.sh: wasi-libc not found under $SYSROOT/lib/wasm32-wasi (run scripts/setup.sh, or set WASI_SYSROOT)" >&2
    exit 1
fi
# clang asks for a compiler-rt builtins archive it does not ship for wasm32; Debian's package has one.
# It is only needed by code using long double or __int128, so a missing archive is not an error.
BUILTINS="$(ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a 2>/dev/null | tail -n 1 || true)"
PYTHON="$(command -v python3 || true)"

COMMON_FLAGS=(--target=wasm32-wasi "--sysroot=$SYSROOT" -O2 -Wall -Wextra -Werror=implicit-function-declaration
    -I "$root/sdk" -nodefaultlibs)
LINK_LIBS=(-lc)
[[ -n "$BUILTINS" ]] && LINK_LIBS+=("$BUILTINS")

# Rust: plain rustc (no cargo, no crates) with the wasm32 std. Debian's rustc 1.63 and
# libstd-rust-dev-wasm32 have both targets; a rustup rustc usually has neither (and names the WASI
# one wasm32-wasip1). Looked for once, when the first Rust example needs it.
RUST_FLAGS=(--edition 2021 -O "--remap-path-prefix=$root=functions")
# Modules: whole-program optimization with std, and no symbol names, so they stay small.
RUST_LINK_FLAGS=(-C lto -C codegen-units=1 -C strip=symbols)
# A 64 KiB stack, as clang gives C modules: rustc's default of 1 MiB would make every reset of a
# compartment compare a megabyte of memory. A deeper overflow traps (the stack is first in memory).
RUST_LINK_FLAGS+=(-C link-arg=-zstack-size=65536)
RUSTC_FOUND="" RUST_WASI_TARGET="" RUST_IV_TARGET="" RUST_RLIB="" rust_probed=0 rust_skipped=()

# rust_has_std RUSTC TARGET: true when RUSTC has the std of TARGET.
rust_has_std() {
    local libdir
    libdir="$("$1" --print target-libdir --target "$2" 2>/dev/null)" || return 1
    [[ -n "$libdir" ]] && compgen -G "$libdir/libstd-*.rlib" > /dev/null
}

# rust_probe: sets RUSTC_FOUND and its RUST_WASI_TARGET (and RUST_IV_TARGET when it has one).
rust_probe() {
    ((rust_probed)) && return 0
    rust_probed=1
    local candidate target
    for candidate in "${RUSTC:-}" /usr/bin/rustc "$(command -v rustc 2>/dev/null || true)"; do
        [[ -n "$candidate" && -x "$(command -v "$candidate" 2>/dev/null || true)" ]] || continue
        for target in wasm32-wasi wasm32-wasip1; do
            if rust_has_std "$candidate" "$target"; then
                RUSTC_FOUND="$candidate" RUST_WASI_TARGET="$target"
                rust_has_std "$candidate" wasm32-unknown-unknown && RUST_IV_TARGET=wasm32-unknown-unknown
                return 0
            fi
        done
    done
}

# rust_sdk TARGET: builds the intravisor rlib for TARGET when its sources changed; sets RUST_RLIB.
rust_sdk() {
    local dir="$out/sdk-rust/$1"
    RUST_RLIB="$dir/libintravisor.rlib"
    newer_than "$RUST_RLIB" "$root/sdk/rust" "${BASH_SOURCE[0]}" || return 0
    echo "  RUSTC intravisor ($1)"
    mkdir -p "$dir" || return 1
    local staging
    staging="$(mktemp -d "$dir/.build.XXXXXX")" || return 1
    if ! "$RUSTC_FOUND" "${RUST_FLAGS[@]}" --crate-type rlib --crate-name intravisor --target "$1" \
        "$root/sdk/rust/src/lib.rs" -o "$staging/libintravisor.rlib"; then
        rm -rf "$staging"
        return 1
    fi
    mv -f "$staging/libintravisor.rlib" "$RUST_RLIB" && rm -rf "$staging"
}

# yaml_value FILE KEY: the scalar value of a top-level KEY (quotes and trailing comments removed).
yaml_value() {
    sed -n -E "s/^$2:[[:space:]]*([^#]*).*$/\1/p" "$1" | head -n 1 | sed -E 's/[[:space:]]+$//; s/^"(.*)"$/\1/; s/^'"'"'(.*)'"'"'$/\1/'
}

# newer_than TARGET PATHS...: true when TARGET is missing or any path (files, recursively) is newer.
newer_than() {
    local target="$1"; shift
    [[ -e "$target" ]] || return 0
    [[ -n "$(find "$@" -newer "$target" -print -quit 2>/dev/null)" ]]
}

# install_module STAGING NAME ABI: checks the module STAGING/NAME.wasm against ABI, then moves it
# into place; the staging folder goes either way.
install_module() {
    local staging="$1" name="$2" abi="$3"
    if [[ -n "$PYTHON" ]] && ! "$PYTHON" "$root/tools/wasm-info.py" --check-abi "$abi" "$staging/$name.wasm"; then
        rm -rf "$staging"
        return 1
    fi
    mv -f "$staging/$name.wasm" "$out/$name/$name.wasm" && rm -rf "$staging"
}

build_one() {
    local dir="$1" name module abi sources=() data=()
    name="$(yaml_value "$dir/function.yaml" name)"
    module="$(yaml_value "$dir/function.yaml" module)"
    abi="$(yaml_value "$dir/function.yaml" abi)"
    abi="${abi:-wasi}"
    # runtime: js: scripts for the platform's JavaScript runtime, packed as they are (see below).
    [[ "$(yaml_value "$dir/function.yaml" runtime)" == js ]] && { build_js_example "$dir"; return; }
    local folder; folder="$(basename "$dir")"
    if [[ "$name" != "$folder" || "$module" != "$name.wasm" ]]; then
        echo "build.sh: $dir: function.yaml must say name: $folder and module: $folder.wasm" >&2
        return 1
    fi
    case "$abi" in
        wasi|iv) ;;
        *) echo "build.sh: $dir: unknown abi '$abi'" >&2; return 1 ;;
    esac
    # Rust (src/main.rs or src/lib.rs) or C (the *.c files at the top of the folder).
    local lang=c crate_root="" target="" not_packed=()
    if [[ -f "$dir/src/main.rs" || -f "$dir/src/lib.rs" ]]; then
        lang=rust
        local crate_type=bin crate_file=main.rs
        [[ "$abi" == iv ]] && crate_type=cdylib crate_file=lib.rs
        crate_root="$dir/src/$crate_file"
        if [[ ! -f "$crate_root" ]]; then
            echo "build.sh: $dir: abi: $abi is built from src/$crate_file (a $crate_type crate)" >&2
            return 1
        fi
        not_packed=(-path ./src -prune -o ! -name '*.rs')
        rust_probe
        target="$RUST_WASI_TARGET"
        [[ "$abi" == iv ]] && target="$RUST_IV_TARGET"
        if [[ -z "$target" ]]; then
            rust_skipped+=("$name")
            return 0
        fi
    else
        while IFS= read -r -d '' f; do sources+=("$f"); done < <(find "$dir" -maxdepth 1 -name '*.c' -print0 | sort -z)
        if ((${#sources[@]} == 0)); then
            echo "build.sh: $dir: no *.c source (nor src/main.rs or src/lib.rs)" >&2
            return 1
        fi
    fi
    while IFS= read -r -d '' f; do data+=("$f"); done < <(cd "$dir" && find . "${not_packed[@]}" -type f \
        ! -name '*.c' ! -name '*.h' ! -name 'README.md' ! -name 'function.yaml' ! -name '.*' -printf '%P\0' | sort -z)
    local headers=("$dir"/*.h)

    local wasm="$out/$name/$name.wasm" archive="$out/$name.tar.gz" staging
    mkdir -p "$out/$name" || return 1
    # Each module is linked under its final file name (wasm-ld records it in the module) in a private
    # folder, so concurrent builds do not collide and equal sources give equal modules.
    if [[ "$lang" == rust ]]; then
        rust_sdk "$target" || return 1
        if newer_than "$wasm" "$dir/src" "$RUST_RLIB" "${BASH_SOURCE[0]}"; then
            echo "  RUSTC $name ($abi)"
            staging="$(mktemp -d "$out/$name/.build.XXXXXX")" || return 1
            "$RUSTC_FOUND" "${RUST_FLAGS[@]}" "${RUST_LINK_FLAGS[@]}" --target "$target" --crate-type "$crate_type" \
                --crate-name "${name//-/_}" --extern "intravisor=$RUST_RLIB" -L "dependency=$(dirname "$RUST_RLIB")" \
                "$crate_root" -o "$staging/$name.wasm" || { rm -rf "$staging"; return 1; }
            install_module "$staging" "$name" "$abi" || return 1
        fi
    elif newer_than "$wasm" "${sources[@]}" "$root/sdk"/*.h "${BASH_SOURCE[0]}" "${headers[@]}"; then
        local flags=("${COMMON_FLAGS[@]}")
        [[ "$abi" == iv ]] &&
            flags+=(-mexec-model=reactor -Wl,--no-entry -Wl,--export=iv_main -Wl,--export-if-defined=iv_init)
        echo "  CC    $name ($abi)"
        staging="$(mktemp -d "$out/$name/.build.XXXXXX")" || return 1
        "$CLANG" "${flags[@]}" "${sources[@]}" "${LINK_LIBS[@]}" -o "$staging/$name.wasm" ||
            { rm -rf "$staging"; return 1; }
        install_module "$staging" "$name" "$abi" || return 1
    fi
    # The whole folder: a data file added or removed changes its directory's time too.
    if newer_than "$archive" "$wasm" "$dir"; then
        echo "  PACK  $name.tar.gz"
        # ustar, relative entries, no owner names or times, so equal inputs give equal archives.
        tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner --mode=0644 --mtime='2024-01-01 00:00:00Z' \
            -cf "$out/$name/archive.tar.$$" -C "$dir" function.yaml "${data[@]}" -C "$out/$name" "$name.wasm" || return 1
        gzip -n -9 -c "$out/$name/archive.tar.$$" > "$archive.tmp.$$" || return 1
        rm -f "$out/$name/archive.tar.$$"
        mv -f "$archive.tmp.$$" "$archive" || return 1
    fi
}

# ---- JavaScript: runtime: js examples and the runtime they run on ------------------------------
# A runtime: js example (js-hello, js-kv, js-fetch) is function.yaml, its ES modules and data
# files, packed as they are into functions/build/NAME.tar.gz: nothing is compiled and the archive
# holds no module. The platform runs them all on one module, functions/build/runtime/js.wasm
# (QuickJS, runtime/js/), which runtime/js/build.sh makes when its inputs changed; it needs pip
# and the network once, to fetch QuickJS into build/vendor/. Without them the runtime is skipped
# with a note and the examples are still packed.
js_runtime_state=""  # "", built, skipped or failed: the runtime is built at most once per run

build_js_runtime() {
    if [[ -z "$js_runtime_state" ]]; then
        local rc=0
        CLANG="$CLANG" WASI_SYSROOT="$SYSROOT" "$root/runtime/js/build.sh" "$out/runtime" || rc=$?
        case "$rc" in
            0) js_runtime_state=built ;;
            3) js_runtime_state=skipped
               echo "build.sh: skipped the JavaScript runtime (build/runtime/js.wasm): QuickJS is not in build/vendor and pip could not download it" >&2 ;;
            *) js_runtime_state=failed
               echo "build.sh: the JavaScript runtime (build/runtime/js.wasm) failed" >&2 ;;
        esac
    fi
    [[ "$js_runtime_state" != failed ]]
}

build_js_example() {
    local dir="$1" name handler data=()
    name="$(yaml_value "$dir/function.yaml" name)"
    handler="$(yaml_value "$dir/function.yaml" handler)"
    if [[ "$name" != "$(basename "$dir")" || -z "$handler" || ! -f "$dir/$handler" ]]; then
        echo "build.sh: $dir: function.yaml must say name: $(basename "$dir") and handler: one of its scripts" >&2
        return 1
    fi
    build_js_runtime || return 1
    while IFS= read -r -d '' f; do data+=("$f"); done < <(cd "$dir" && find . -type f \
        ! -name 'README.md' ! -name 'function.yaml' ! -name '.*' -printf '%P\0' | sort -z)
    local archive="$out/$name.tar.gz"
    mkdir -p "$out/$name" || return 1
    if newer_than "$archive" "$dir" "${BASH_SOURCE[0]}"; then
        echo "  PACK  $name.tar.gz (runtime: js)"
        tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner --mode=0644 --mtime='2024-01-01 00:00:00Z' \
            -cf "$out/$name/archive.tar.$$" -C "$dir" function.yaml "${data[@]}" || return 1
        gzip -n -9 -c "$out/$name/archive.tar.$$" > "$archive.tmp.$$" || return 1
        rm -f "$out/$name/archive.tar.$$"
        mv -f "$archive.tmp.$$" "$archive" || return 1
    fi
}

selected=()
for arg in "$@"; do
    case "$arg" in
        --clean) rm -rf "$out" ;;
        -h|--help) sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
        *) [[ -f "$root/$arg/function.yaml" ]] || { echo "build.sh: no example '$arg'" >&2; exit 2; }
           selected+=("$root/$arg") ;;
    esac
done
if ((${#selected[@]} == 0)); then
    for dir in "$root"/*/; do
        [[ -f "$dir/function.yaml" ]] && selected+=("${dir%/}")
    done
fi

failed=0
for dir in "${selected[@]}"; do
    build_one "$dir" || { echo "build.sh: $(basename "$dir") failed" >&2; failed=1; }
done
if ((${#rust_skipped[@]})); then
    if [[ -z "$RUSTC_FOUND" ]]; then
        why="no rustc with the wasm32-wasi std (Debian: apt-get install rustc libstd-rust-dev-wasm32; or set RUSTC)"
    else
        why="$RUSTC_FOUND has no wasm32-unknown-unknown std, which abi: iv needs (Debian: libstd-rust-dev-wasm32)"
    fi
    echo "build.sh: skipped ${rust_skipped[*]}: $why" >&2
fi
exit "$failed"
