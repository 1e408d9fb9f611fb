#!/usr/bin/env python3
"""Prints a WebAssembly module's imports and exports, one per line.

    wasm-info.py MODULE.wasm            # "import MODULE.NAME" / "export NAME" lines
    wasm-info.py --check-abi iv MODULE  # fails unless every import is intravisor.* and iv_main is exported
                                        # (wasi: wasi_snapshot_preview1.*, or intravisor.* but request_*/response_*)

Used by functions/build.sh to refuse an example whose imports its ABI cannot satisfy, before the
platform would refuse it at deploy time.
"""
import sys


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def name(data, pos):
    length, pos = leb(data, pos)
    return data[pos:pos + length].decode("utf-8"), pos + length


def parse(data):
    if data[:8] != b"\0asm\x01\0\0\0":
        raise ValueError("not a WebAssembly 1.0 binary module")
    imports, exports = [], []
    pos = 8
    while pos < len(data):
        section, pos = data[pos], pos + 1
        size, pos = leb(data, pos)
        end = pos + size
        if section == 2:
            count, p = leb(data, pos)
            for _ in range(count):
                module, p = name(data, p)
                field, p = name(data, p)
                kind, p = data[p], p + 1
                if kind == 0:
                    _, p = leb(data, p)
                elif kind == 1:
                    p += 1
                    flags, p = leb(data, p)
                    _, p = leb(data, p)
                    if flags & 1:
                        _, p = leb(data, p)
                elif kind == 2:
                    flags, p = leb(data, p)
                    _, p = leb(data, p)
                    if flags & 1:
                        _, p = leb(data, p)
                elif kind == 3:
                    p += 2
                imports.append((module, field, "func table memory global".split()[kind]))
        elif section == 7:
            count, p = leb(data, pos)
            for _ in range(count):
                field, p = name(data, p)
                kind, p = data[p], p + 1
                _, p = leb(data, p)
                exports.append((field, "func table memory global".split()[kind]))
        pos = end
    return imports, exports


def main(argv):
    abi = None
    if len(argv) == 4 and argv[1] == "--check-abi":
        abi, path = argv[2], argv[3]
    elif len(argv) == 2:
        path = argv[1]
    else:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(path, "rb") as f:
        imports, exports = parse(f.read())
    if abi is None:
        for module, field, kind in imports:
            print(f"import {module}.{field} ({kind})")
        for field, kind in exports:
            print(f"export {field} ({kind})")
        return 0
    entry = {"iv": "iv_main", "wasi": "_start"}[abi]

    def available(module, field):
        if abi == "iv":
            return module == "intravisor"
        # v2: a wasi module may import the intravisor functions but request_* and response_*.
        if module == "intravisor":
            return not field.startswith(("request_", "response_"))
        return module == "wasi_snapshot_preview1"

    problems = [f"import {m}.{f} ({k}) is not available under abi {abi}"
                for m, f, k in imports if not available(m, f) or k != "func"]
    names = {f for f, _ in exports}
    for needed in (entry, "memory"):
        if needed not in names:
            problems.append(f"module does not export {needed}")
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
