#!/usr/bin/env bash
# Installs what cvmfaas needs on a fresh Debian machine, and nothing when it is already there.
set -euo pipefail
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

# rustc + libstd-rust-dev-wasm32: Debian's Rust 1.63 with the wasm32 targets (the Rust SDK and examples).
# postgresql + haproxy: a registry shared by several nodes and its load balancer (the tests start both
# themselves; nothing needs to run as a service). python3-venv: the offline Kubernetes manifest check.
packages=(wasi-libc libclang-rt-14-dev-wasm32 libsqlite3-dev zlib1g-dev libcurl4-openssl-dev curl rustc
    libstd-rust-dev-wasm32 postgresql haproxy python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The JavaScript runtime's engine sources come from PyPI (functions/runtime/js/fetch-quickjs.sh).
if ! command -v pip3 >/dev/null 2>&1 && ! python3 -m pip --version >/dev/null 2>&1; then
    echo "setup: installing python3-pip"
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-pip >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    if [[ -x /opt/swift/usr/bin/swift ]]; then
        echo "setup: add /opt/swift/usr/bin to PATH" >&2
    else
        echo "setup: Swift 6.3 is required (expected at /opt/swift)" >&2
    fi
    exit 1
fi
