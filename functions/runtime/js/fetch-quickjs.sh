#!/usr/bin/env bash
# Fetches the QuickJS engine the JavaScript runtime is built from, into an ignored folder.
#
#   functions/runtime/js/fetch-quickjs.sh [VENDOR_DIR]     default: functions/build/vendor
#
# The engine comes from PyPI's `quickjs` source distribution (its upstream-quickjs/ folder is
# Fabrice Bellard's QuickJS, release 2021-03-27), because PyPI is a registry every machine of the
# project reaches. The archive is checked against the SHA-256 pinned below, extracted, and
# quickjs-wasi.patch (ours, beside this script) is applied to the extracted copy. Upstream code is
# never committed. Prints the engine's folder on stdout. Exit status 3: the archive is neither
# cached nor downloadable (no pip, no network); any other failure is 1.
set -euo pipefail

PACKAGE=quickjs
VERSION=1.19.4
SHA256=1205953abc24ff757f4a795304d5d61e4bf1e555c9ef6ec96a132d4b95535484
ENGINE_VERSION=2021-03-27

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vendor="${1:-$here/../../build/vendor}"
mkdir -p "$vendor"
vendor="$(cd "$vendor" && pwd)"
archive="$vendor/$PACKAGE-$VERSION.tar.gz"
engine="$vendor/quickjs-$ENGINE_VERSION"
patch_file="$here/quickjs-wasi.patch"
stamp="$engine/.prepared"

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
    else python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; fi
}

# Already prepared from this archive with this patch: nothing to do.
if [[ -f "$stamp" && "$stamp" -nt "$patch_file" && "$(cat "$stamp")" == "$SHA256" ]]; then
    echo "$engine"
    exit 0
fi

if [[ ! -f "$archive" ]]; then
    pip=()
    if command -v pip3 >/dev/null 2>&1; then pip=(pip3)
    elif command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
    else
        echo "fetch-quickjs: pip is not available and $archive is not cached" >&2
        exit 3
    fi
    echo "  FETCH $PACKAGE==$VERSION (PyPI source archive)" >&2
    download="$(mktemp -d "$vendor/.download.XXXXXX")"
    trap 'rm -rf "$download"' EXIT
    if ! "${pip[@]}" download --quiet --no-deps --no-binary :all: "$PACKAGE==$VERSION" -d "$download" >&2 ||
        [[ ! -f "$download/$PACKAGE-$VERSION.tar.gz" ]]; then
        echo "fetch-quickjs: could not download $PACKAGE==$VERSION from PyPI (no network?)" >&2
        exit 3
    fi
    mv -f "$download/$PACKAGE-$VERSION.tar.gz" "$archive"
fi

actual="$(sha256_of "$archive")"
if [[ "$actual" != "$SHA256" ]]; then
    echo "fetch-quickjs: $archive has SHA-256 $actual, expected $SHA256; removed it" >&2
    rm -f "$archive"
    exit 1
fi

rm -rf "$engine" "$engine.tmp"
mkdir -p "$engine.tmp"
tar -xzf "$archive" -C "$engine.tmp" --strip-components=2 "$PACKAGE-$VERSION/upstream-quickjs"
if [[ "$(cat "$engine.tmp/VERSION")" != "$ENGINE_VERSION" ]]; then
    echo "fetch-quickjs: the archive holds QuickJS $(cat "$engine.tmp/VERSION"), expected $ENGINE_VERSION" >&2
    exit 1
fi
if command -v patch >/dev/null 2>&1; then
    patch --quiet -p1 -d "$engine.tmp" < "$patch_file"
else
    # git apply outside any repository (the ceiling stops it finding the checkout around vendor/)
    (cd "$engine.tmp" && GIT_CEILING_DIRECTORIES="$(dirname "$engine.tmp")" git apply -p1 "$patch_file")
fi
echo "$SHA256" > "$engine.tmp/.prepared"
mv "$engine.tmp" "$engine"
echo "$engine"
