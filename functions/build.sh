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

build_one() {
    local dir="$1" name module abi sources=() data=()
    name="$(yaml_value "$dir/function.yaml" name)"
    module="$(yaml_value "$dir/function.yaml" module)"
    abi="$(yaml_value "$dir/function.yaml" abi)"
    abi="${abi:-wasi}"
    local folder; folder="$(basename "$dir")"
    if [[ "$name" != "$folder" || "$module" != "$name.wasm" ]]; then
        echo "build.sh: $dir: function.yaml must say name: $folder and module: $folder.wasm" >&2
        return 1
    fi
    while IFS= read -r -d '' f; do sources+=("$f"); done < <(find "$dir" -maxdepth 1 -name '*.c' -print0 | sort -z)
    if ((${#sources[@]} == 0)); then
        echo "build.sh: $dir: no *.c source" >&2
        return 1
    fi
    while IFS= read -r -d '' f; do data+=("$f"); done < <(cd "$dir" && find . -type f \
        ! -name '*.c' ! -name '*.h' ! -name 'README.md' ! -name 'function.yaml' ! -name '.*' -printf '%P\0' | sort -z)
    local headers=("$dir"/*.h)

    local wasm="$out/$name/$name.wasm" archive="$out/$name.tar.gz"
    mkdir -p "$out/$name" || return 1
    if newer_than "$wasm" "${sources[@]}" "$root/sdk" "${BASH_SOURCE[0]}" "${headers[@]}"; then
        local flags=("${COMMON_FLAGS[@]}")
        case "$abi" in
            wasi) ;;
            iv) flags+=(-mexec-model=reactor -Wl,--no-entry -Wl,--export=iv_main -Wl,--export-if-defined=iv_init) ;;
            *) echo "build.sh: $dir: unknown abi '$abi'" >&2; return 1 ;;
        esac
        echo "  CC    $name ($abi)"
        # Link under the final file name (wasm-ld records it in the module) in a private folder,
        # so concurrent builds do not collide and equal sources give equal modules.
        local staging
        staging="$(mktemp -d "$out/$name/.build.XXXXXX")" || return 1
        if ! "$CLANG" "${flags[@]}" "${sources[@]}" "${LINK_LIBS[@]}" -o "$staging/$name.wasm" ||
            { [[ -n "$PYTHON" ]] && ! "$PYTHON" "$root/tools/wasm-info.py" --check-abi "$abi" "$staging/$name.wasm"; }; then
            rm -rf "$staging"
            return 1
        fi
        mv -f "$staging/$name.wasm" "$wasm" && rmdir "$staging" || return 1
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

selected=()
for arg in "$@"; do
    case "$arg" in
        --clean) rm -rf "$out" ;;
        -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
exit "$failed"
