"""Parsing and Markdown for deploy/loadtest/report: turns the run's facts into docs/BENCHMARKS.md."""
import os
import re
import shutil
import statistics

import loadlib

GIB = 1 << 30

# ---- Parsing the tools' outputs ----------------------------------------------------------------------

DURATION = r"([0-9.]+) (µs|ms)"


def to_us(number, unit):
    return float(number) * (1000.0 if unit == "ms" else 1.0)


def find_duration(text, label):
    """The first duration after `label` in faas-bench output, in µs (None when absent)."""
    match = re.search(re.escape(label) + r".*?" + DURATION, text)
    return to_us(match.group(1), match.group(2)) if match else None


def parse_sandbox(text):
    out = {}
    for name in ("noop", "hello"):
        out[f"cold_{name}_create"] = find_duration(text, f"cold {name}: create:")
        out[f"cold_{name}_first"] = find_duration(text, f"cold {name}: create + first invoke:")
        out[f"warm_{name}"] = find_duration(text, f"warm {name}: invoke + reset:")
    out["parse_hello"] = find_duration(text, "module parse (hello image):")
    out["fib_on"] = find_duration(text, "fuel on:")
    out["fib_off"] = find_duration(text, "fuel off:")
    memory = re.search(r"memory per warm hello compartment: (\d+) KiB \(RSS \+(\d+) MiB over (\d+), linear memory (\d+) KiB",
                       text)
    if memory:
        out["kib_per_compartment"] = int(memory.group(1))
        out["memory_compartments"] = int(memory.group(3))
        out["linear_kib"] = int(memory.group(4))
    return out


def parse_scheduler(text):
    out = {}
    for name in ("noop", "hello"):
        match = re.search(rf"scheduler cold {name}-cold .*?p50 {DURATION} p99 {DURATION} \((\d+)/(\d+) cold\)", text)
        if match:
            out[f"cold_{name}"] = {"p50": to_us(match.group(1), match.group(2)), "p99": to_us(match.group(3), match.group(4)),
                                   "cold": int(match.group(5)), "samples": int(match.group(6))}
        for callers in (1, 8, 64):
            match = re.search(rf"scheduler warm {name} c={callers}: (\d+) invocations/s, p50 {DURATION}", text)
            if match:
                out[f"warm_{name}_c{callers}"] = {"rate": int(match.group(1)), "p50": to_us(match.group(2), match.group(3))}
    return out


def parse_async(text):
    """The figures of `faas-bench async`."""
    out = {}
    match = re.search(r"sync invoke noop c=(\d+): (\d+) invocations/s", text)
    if match:
        out["sync_rate"] = int(match.group(2))
    match = re.search(rf"durable async accept noop c=(\d+): (\d+) accepts/s \(202s\), p50 {DURATION} p99 {DURATION}", text)
    if match:
        out["accept_rate"] = int(match.group(2))
        out["accept_p50"], out["accept_p99"] = to_us(match.group(3), match.group(4)), to_us(match.group(5), match.group(6))
    match = re.search(rf"accept-to-start c=1 \(a compartment free\): p50 {DURATION} p99 {DURATION}", text)
    if match:
        out["start_p50"], out["start_p99"] = to_us(match.group(1), match.group(2)), to_us(match.group(3), match.group(4))
    return out


def parse_registry(text):
    out = {}
    for match in re.finditer(r"registry deploy +(\d+) MiB module \(archive ([0-9.]+) MiB\): median ([0-9.]+) ms", text):
        out[int(match.group(1))] = {"archive_mib": float(match.group(2)), "median_ms": float(match.group(3))}
    return out


def perf_rows(text):
    """(percent, name) rows of a `perf report --stdio -g none` listing."""
    rows = []
    for line in text.splitlines():
        match = re.match(r"\s+([0-9.]+)%\s+(.*)$", line)
        if match:
            name = re.sub(r"\s+", " ", match.group(2)).strip()
            name = re.sub(r"( -)+$", "", name).strip()
            rows.append((float(match.group(1)), name[:150]))
    return rows


# ---- Formatting ---------------------------------------------------------------------------------------

def us(value):
    if value is None:
        return "n/a"
    if value >= 1000:
        return f"{value / 1000:.2f} ms"
    return f"{value:.0f} µs" if value >= 10 else f"{value:.1f} µs"


def rps(value):
    return f"{value:,.0f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "n/a"


def verdict(value, target, higher_is_better=True):
    """'met' or 'missed by …' for a figure against its target."""
    if value is None:
        return "not measured"
    if (value >= target) if higher_is_better else (value <= target):
        return "**met**"
    if higher_is_better:
        return f"**missed** by {(1 - value / target) * 100:.0f}% (reached {value / target * 100:.0f}% of the target)"
    return f"**missed** by {us(value - target)} ({value / target:.1f}× the target)"


def median(values):
    return statistics.median(values) if values else None


# ---- The HTTP-limit chart --------------------------------------------------------------------------------

def http_chart(http, folder):
    data = os.path.join(folder, "http-limit.dat")
    labels = {"nginx": "nginx fixed 200", "nio": "SwiftNIO hello", "noop": "cvmfaas noop (iv)", "hello": "cvmfaas hello (WASI)"}
    with open(data, "w") as f:
        for name in ("nginx", "nio", "noop", "hello"):
            f.write(f"\"{labels[name]}\" {http[f'{name}@32']['rps']} {http[f'{name}@256']['rps']}\n")
    loadlib.run_gnuplot("\n".join([
        "set terminal png size 900,520 noenhanced", "set output 'http-limit.png'",
        "set title 'HTTP limit: requests/s (median of rounds, wrk keep-alive, same machine, same run)'",
        "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8 border -1",
        "set boxwidth 0.9", "set xrange [-0.6:3.6]", "set yrange [0:*]", "set grid ytics", "set ylabel 'requests/s'", "set key top right",
        "plot 'http-limit.dat' using 2:xtic(1) title 'c=32', '' using 3 title 'c=256'", ""]), folder)
    return os.path.join(folder, "http-limit.png")


# ---- The document -----------------------------------------------------------------------------------------

def write(facts, args, work):
    doc_dir = os.path.dirname(os.path.abspath(args.doc))
    images = os.path.join(doc_dir, "benchmarks")
    os.makedirs(images, exist_ok=True)
    m, http, cold, peers = facts["machine"], facts["http"], facts["cold_http"], facts["peers"]
    sandbox = parse_sandbox(facts["in_process"]["sandbox"])
    scheduler = parse_scheduler(facts["in_process"]["scheduler"])
    registry = parse_registry(facts["in_process"]["registry"])
    durable = parse_async(facts["in_process"].get("async", ""))
    async_http = facts.get("async_http")
    charts = {"http-limit.png": http_chart(http, work), "coldstart-noop.png": cold["noop"]["chart"],
              "coldstart-hello.png": cold["hello"]["chart"], "throughput-noop.png": cold["throughput_chart"]}
    for name, path in charts.items():
        if path and os.path.exists(path):
            shutil.copyfile(path, os.path.join(images, name))

    lines = []
    w = lines.append
    w("# Benchmarks")
    w("")
    w("Generated by `deploy/loadtest/report` (one command, one run; do not edit by hand). Every peer ran in the same")
    w("run on the same machine as the platform; figures are medians and comparisons are ratios, because the machine")
    w("is shared and its absolute speed drifts (see the load average).")
    w("")
    w("| | |")
    w("| --- | --- |")
    w(f"| machine | {m['nproc']} cores, {m['model']}, {m['mem_gib']} GiB, Linux {m['kernel']} |")
    w(f"| commit | `{m['commit']}` |")
    w(f"| date | {m['date']} (run took {m['seconds']} s) |")
    w(f"| load average | {' '.join(m['loadavg_start'])} at the start, {' '.join(m['loadavg_end'])} at the end |")
    w(f"| tools | {m['wrk']}; {m['nginx']}; Wasmtime from PyPI (`wasmtime` package); gcc -O2 |")
    w(f"| settings | {args.rounds} round(s) of {args.duration:g} s per wrk run; {args.cold_samples} cold samples per figure |")
    w("")

    # Targets summary
    nio32, nginx32, noop32, hello32 = (http[f"{n}@32"]["rps"] for n in ("nio", "nginx", "noop", "hello"))
    cold_noop = cold["noop"]["summary"]["cold"]["client_us"]["p50"]
    cold_hello = cold["hello"]["summary"]["cold"]["client_us"]["p50"]
    w("## Targets")
    w("")
    w("| target | measured | verdict |")
    w("| --- | --- | --- |")
    w(f"| warm `noop` over HTTP ≥ 0.70 × SwiftNIO hello rps at c=32 | {noop32 / nio32:.2f} × ({rps(noop32)} vs {rps(nio32)} req/s) "
      f"| {verdict(noop32 / nio32, 0.70)} |")
    w(f"| warm `hello` over HTTP ≥ 0.20 × nginx rps at c=32 | {hello32 / nginx32:.2f} × ({rps(hello32)} vs {rps(nginx32)} req/s) "
      f"| {verdict(hello32 / nginx32, 0.20)} |")
    w(f"| cold start `noop` p50 ≤ 1 ms, HTTP end to end | {us(cold_noop)} | {verdict(cold_noop, 1000, False)} |")
    w(f"| cold start `hello` p50 ≤ 5 ms, HTTP end to end | {us(cold_hello)} | {verdict(cold_hello, 5000, False)} |")
    if async_http:
        w(f"| durable async accept ≥ 5,000 202s/s at c=32 over HTTP | {rps(async_http['async']['rps'])} /s "
          f"| {verdict(async_http['async']['rps'], 5000)} |")
    if "accept_rate" in durable:
        w(f"| durable async accept ≥ 5,000/s at c=32 in process (`faas-bench async`) | {rps(durable['accept_rate'])} /s "
          f"| {verdict(durable['accept_rate'], 5000)} |")
    if "start_p50" in durable:
        w(f"| accept-to-start p50 ≤ 2 ms with a compartment free | {us(durable['start_p50'])} "
          f"| {verdict(durable['start_p50'], 2000, False)} |")
    w("")

    # HTTP limit
    w("## HTTP limit")
    w("")
    w("wrk (keep-alive, `POST` with a 7-byte body, " + f"{min(m['nproc'], 4)} threads, {args.duration:g} s per run, "
      f"{args.rounds} round(s) interleaving the servers, median of the rounds) against four servers on 127.0.0.1: nginx "
      "returning a fixed 200 (`return 200 \"hello\"`, `worker_processes auto`, no access log), `faas-bench nio-hello` "
      "(SwiftNIO, one event loop per core, fixed 200), and the gateway (`faas serve`, release build) invoking `hello` "
      "(WASI: stdin → stdout) and `noop` (iv ABI, returns at once) deployed with `warm` and `concurrency` = cores and "
      "`queue: 512`. wrk runs on the same 2 cores as the server, so every figure includes the load generator's share. "
      "Server CPU per request is the server processes' user+system time over the run divided by its requests.")
    w("")
    w("| server | c | requests/s | × nginx | × SwiftNIO | p50 | p99 | server CPU / request | errors |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    names = {"nginx": "nginx fixed 200", "nio": "SwiftNIO hello", "noop": "cvmfaas warm `noop`", "hello": "cvmfaas warm `hello`"}
    for c in (32, 256):
        for n in ("nginx", "nio", "noop", "hello"):
            cell = http[f"{n}@{c}"]
            w(f"| {names[n]} | {c} | {rps(cell['rps'])} | {cell['rps'] / http[f'nginx@{c}']['rps']:.2f} | "
              f"{cell['rps'] / http[f'nio@{c}']['rps']:.2f} | {us(cell['p50_us'])} | {us(cell['p99_us'])} | "
              f"{us(cell['cpu_us'])} | {cell['errors']} |")
    w("")
    w("Rounds (requests/s), to show the spread: " + "; ".join(
        f"{names[n]} c={c}: " + ", ".join(rps(x) for x in http[f'{n}@{c}']['rounds'])
        for c in (32, 256) for n in ("nginx", "nio", "noop", "hello")) + ".")
    w("")
    w("![HTTP limit](benchmarks/http-limit.png)")
    w("")
    tp = cold["throughput"]
    if tp:
        w("Warm `noop` at more concurrencies (`deploy/loadtest/throughput --function noop --concurrency 1,8,32,128,256 "
          "--duration 3`; per-status counting on): " + ", ".join(
              f"c={r['concurrency']}: {rps(r['rps'])} req/s, p99 {us(r['latency_us']['p99'])}" for r in tp) + ".")
        w("")
        w("![throughput of noop](benchmarks/throughput-noop.png)")
        w("")

    # Durable async
    if async_http or durable:
        w("## Async invocations (durable)")
        w("")
        w("Every `X-Faas-Async: true` invocation is committed to `registry.sqlite` (WAL, `synchronous = FULL`) before its "
          "202; the queue's writer thread commits what has gathered in one transaction (group commit). Over HTTP: wrk "
          "c=32 against the gateway as this report starts it (`faas serve --log-level warning`), `POST /invoke/bench-noop` with and "
          f"without the header, interleaved, {args.rounds} round(s) of {args.duration:g} s; per-status counting on.")
        w("")
        if async_http:
            w("| invocation | requests/s | p50 | p99 | server CPU / request | answers |")
            w("| --- | --- | --- | --- | --- | --- |")
            for mode, label in (("async", "async (202, durable)"), ("sync", "sync (200)")):
                cell = async_http[mode]
                answers = ", ".join(f"{k}: {v}" for k, v in sorted(cell["statuses"].items()))
                w(f"| {label} | {rps(cell['rps'])} | {us(cell['p50_us'])} | {us(cell['p99_us'])} | {us(cell['cpu_us'])} | {answers} |")
            w("")
            w("Rounds (requests/s): " + "; ".join(
                f"{mode}: " + ", ".join(rps(x) for x in async_http[mode]["rounds"]) for mode in ("async", "sync")) + ".")
            w("")
        if durable:
            w("In process (`faas-bench async`: the scheduler and the async runner over a registry in a temporary folder, "
              "no HTTP): " + (f"sync invoke {rps(durable['sync_rate'])}/s at c=32; " if "sync_rate" in durable else "")
              + (f"durable accept {rps(durable['accept_rate'])}/s at c=32 (p50 {us(durable['accept_p50'])}, p99 "
                 f"{us(durable['accept_p99'])}); " if "accept_rate" in durable else "")
              + (f"accept-to-start with a compartment free p50 {us(durable['start_p50'])}, p99 {us(durable['start_p99'])} "
                 "(the accept, stored and answered, plus the wait from the hand-over to the guest starting)." if "start_p50" in durable else ""))
            w("")

    # Cold start
    w("## Cold start")
    w("")
    w("Ours over HTTP: `deploy/loadtest/coldstart --function F --details` deploys `lt-F-cold` with `warm: 0` and "
      "`keep_alive: 0s`, so every invocation creates a compartment from the cached image, runs it and destroys it; each "
      "sample is one sequential `POST /invoke` on a kept-alive connection from a Python client, timed from request "
      "written to last byte read, and its `X-Faas-Start` header is recorded (the table counts them). The client itself "
      "costs the 'client floor': the same client against the SwiftNIO fixed-200 server. In-process figures come from "
      "`faas-bench scheduler` (the scheduler's `invoke` of a `warm: 0` function, no HTTP) and `faas-bench sandbox` "
      "(compartment create + first invoke, no scheduler); both load the modules `functions/build.sh` built, the same "
      "files the gateway serves and Wasmtime runs.")
    w("")
    w("| what | p50 | p90 | p99 | starts seen | notes |")
    w("| --- | --- | --- | --- | --- | --- |")
    for f in ("noop", "hello"):
        s = cold[f]["summary"]
        c = s["cold"]
        starts = ", ".join(f"{k}: {v}" for k, v in sorted(c["starts"].items()))
        w(f"| cvmfaas `{f}` cold, HTTP end to end | {us(c['client_us']['p50'])} | {us(c['client_us']['p90'])} | "
          f"{us(c['client_us']['p99'])} | {starts} | server side (`X-Faas-Duration-Us`) p50 {us(c['server_us']['p50'])}; "
          f"activation init p50 {us(cold[f]['init_us'])}, run {us(cold[f]['run_us'])}, queue {us(cold[f]['queue_us'])} |")
    for f in ("noop", "hello"):
        s = cold[f]["summary"]["warm"]
        w(f"| cvmfaas `{f}` warm, HTTP end to end | {us(s['client_us']['p50'])} | {us(s['client_us']['p90'])} | "
          f"{us(s['client_us']['p99'])} | " + ", ".join(f"{k}: {v}" for k, v in sorted(s["starts"].items())) + " | for comparison |")
    for f in ("noop", "hello"):
        d = cold[f]["summary"].get("deploy")
        if d:
            w(f"| cvmfaas `{f}` deploy → first response | {us(d['client_us']['p50'])} | {us(d['client_us']['p90'])} | "
              f"{us(d['client_us']['p99'])} | " + ", ".join(f"{k}: {v}" for k, v in sorted(d["starts"].items())) +
              f" | a new version per sample: `POST /functions` p50 {us(d['deploy_us']['p50'])}, then its first invoke "
              f"p50 {us(d['first_response_us']['p50'])} |")
    floor = cold["client_floor_us"]
    w(f"| client floor (same client → SwiftNIO fixed 200) | {us(floor['p50'])} | {us(floor['p90'])} | {us(floor['p99'])} | | "
      "what the Python client and loopback add to every HTTP row |")
    for f in ("noop", "hello"):
        sc = scheduler.get(f"cold_{f}")
        if sc:
            w(f"| cvmfaas `{f}` cold, in-process scheduler | {us(sc['p50'])} | | {us(sc['p99'])} | cold: {sc['cold']}/{sc['samples']} | "
              "`faas-bench scheduler` |")
    for f in ("noop", "hello"):
        w(f"| cvmfaas `{f}` compartment create + first invoke | {us(sandbox.get(f'cold_{f}_first'))} | | | | "
          f"`faas-bench sandbox` median; create alone {us(sandbox.get(f'cold_{f}_create'))} |")
    wc = peers["wasmtime_cold"]["samples_us"]
    w(f"| Wasmtime: new Store + WASI + instantiate + `_start` of the same hello.wasm | {us(loadlib.percentile(wc, 50))} | "
      f"{us(loadlib.percentile(wc, 90))} | {us(loadlib.percentile(wc, 99))} | | module compiled once (as our image is "
      f"parsed once); with compilation per sample: p50 {us(median(peers['wasmtime_cold']['with_compile_us']))}; "
      "driven from Python, so the call overhead of the binding is included |")
    sp = peers["spawn"]["samples_us"]
    w(f"| native `hello` process per request (posix_spawn + pipes + wait) | {us(loadlib.percentile(sp, 50))} | "
      f"{us(loadlib.percentile(sp, 90))} | {us(loadlib.percentile(sp, 99))} | | gcc -O2 `functions/hello/hello.c`; the "
      "lower bound of process/container-per-request platforms |")
    w("")
    ours = sandbox.get("cold_hello_first")
    w(f"Ratios (p50): our `hello` cold start over HTTP is {ratio(cold_hello, loadlib.percentile(sp, 50))} a native process "
      f"spawn and {ratio(cold_hello, loadlib.percentile(wc, 50))} Wasmtime's create+run; in-process (compartment create + "
      f"first invoke) it is {ratio(ours, loadlib.percentile(wc, 50))} Wasmtime's and {ratio(ours, loadlib.percentile(sp, 50))} "
      "the native spawn.")
    w("")
    w("Published anchors, for context only (other machines, other definitions): Firecracker boots a microVM to user space "
      "in about 125 ms; AWS Lambda cold starts run from about 100 ms to over 1 s; Fission's pre-warmed pool answers a cold "
      "function in about 100 ms; Spin claims about 0.5 ms to instantiate a Wasm component; Faasm restores a "
      "proto-faaslet (a snapshot of an initialised Wasm instance) in well under a millisecond.")
    w("")
    w("![cold start noop](benchmarks/coldstart-noop.png)")
    w("")
    w("![cold start hello](benchmarks/coldstart-hello.png)")
    w("")

    # Compute
    w("## Compute")
    w("")
    wf = peers["wasmtime_fib"]
    nf = median(peers["native_fib"]["samples_us"])
    w("Recursive `fib(27)` (the same C function everywhere; the same WebAssembly module for us and Wasmtime), median of "
      "21 runs in an already created instance. Ours from `faas-bench sandbox` (one compartment invoked repeatedly, fuel "
      "metering on and off, runs interleaved); Wasmtime (Cranelift JIT) from Python with `consume_fuel` off and on; native "
      "is gcc -O2.")
    w("")
    w("| engine | fuel off | fuel on | × native (off) | × Wasmtime (off) |")
    w("| --- | --- | --- | --- | --- |")
    w(f"| cvmfaas compartment (WasmKit interpreter) | {us(sandbox.get('fib_off'))} | {us(sandbox.get('fib_on'))} | "
      f"{ratio(sandbox.get('fib_off'), nf)} | {ratio(sandbox.get('fib_off'), median(wf['fuel_off']))} |")
    w(f"| Wasmtime | {us(median(wf['fuel_off']))} | {us(median(wf['fuel_on']))} | {ratio(median(wf['fuel_off']), nf)} | 1.00× |")
    w(f"| native C | {us(nf)} | — | 1.00× | {ratio(nf, median(wf['fuel_off']))} |")
    w("")
    if sandbox.get("fib_on") and sandbox.get("fib_off"):
        w(f"Fuel metering costs {(sandbox['fib_on'] / sandbox['fib_off'] - 1) * 100:+.0f}% on our side and "
          f"{(median(wf['fuel_on']) / median(wf['fuel_off']) - 1) * 100:+.0f}% in Wasmtime.")
        w("")

    # Memory
    w("## Memory")
    w("")
    kib = sandbox.get("kib_per_compartment")
    if kib:
        w(f"`faas-bench sandbox` creates {sandbox['memory_compartments']} `hello` compartments, invokes each once and keeps "
          f"them: the process RSS grows by **{kib} KiB per warm compartment** (linear memory {sandbox['linear_kib']} KiB "
          f"each; the image is shared). **{GIB // (kib * 1024):,} warm `hello` compartments fit in 1 GiB** "
          f"(RSS alone, before the gateway's own footprint; the gateway's RSS at the end of this run was "
          f"{(facts.get('gateway_rss_kib') or 0) // 1024} MiB).")
    w("")

    # Deploy
    w("## Deploy time")
    w("")
    w("`faas-bench registry` deploys an archive whose module is 1 MiB / 10 MiB (read, validate, hash, compress, durable "
      "store, register; 7 runs, median). Over HTTP, `POST /functions` of `hello` with an incompressible data file making "
      "the archive about 1 MiB / 10 MiB (7 new versions each, median, client-timed).")
    w("")
    w("| archive | registry (in-process) | over HTTP |")
    w("| --- | --- | --- |")
    for size in (1, 10):
        r = registry.get(size)
        h = facts["deploy_http"].get(size) or facts["deploy_http"].get(str(size))
        in_process = f"{r['median_ms']:.1f} ms (archive {r['archive_mib']:.2f} MiB)" if r else "n/a"
        over_http = f"{us(h['median_us'])} (archive {h['archive_bytes'] / 1048576:.2f} MiB)" if h else "n/a"
        w(f"| {size} MiB | {in_process} | {over_http} |")
    w("")

    # Where the time goes
    w("## Where the time goes")
    w("")
    prof = facts.get("profile")
    if prof and any(k in prof for k in ("noop", "hello")):
        counters = "hardware counters work here" if prof["hardware_counters"] else \
            "hardware counters are not available in this machine (perf stat reports `<not supported>`), so perf samples the `cpu-clock` software event"
        w(f"`perf record -e cpu-clock -F 499 -g -p <gateway>` for 5 s while wrk loads the function at c=32; {counters}. "
          "Self time by shared object and the top symbols (≥ 1.5%):")
        w("")
        for f in ("noop", "hello"):
            if f not in prof:
                continue
            w(f"**`{f}`** — by object: " + ", ".join(f"{name} {pct:.0f}%" for pct, name in prof[f]["dso"][:8]))
            w("")
            w("| self % | symbol |")
            w("| --- | --- |")
            for pct, name in prof[f]["symbol"][:12]:
                w(f"| {pct:.1f} | `{name.replace('|', '/')}` |")
            w("")
            own = prof[f].get("own") or []
            if own:
                w(f"Top symbols inside the `faas` binary itself for `{f}` (share of all samples): " + "; ".join(
                    f"`{name.replace('|', '/')[:110]}` {pct:.1f}%" for pct, name in own[:8]))
                w("")
    else:
        w("No profile was taken (perf missing or `--no-profile`).")
        w("")
    if prof and "noop" in prof:
        share = {}
        for pct, name in prof["noop"]["dso"]:
            key = ("kernel" if "kernel" in name else "sqlite" if "sqlite" in name else "own" if name == "faas"
                   else "runtime" if re.match(r"lib(swift|c\.|dispatch|stdc|m\.|pthread)", name) else "other")
            share[key] = share.get(key, 0) + pct
        warm8 = scheduler.get("warm_noop_c8")
        w(f"**Summary for warm `noop` over HTTP.** The gateway spends {us(http['noop@32']['cpu_us'])} of CPU per request "
          f"where the bare SwiftNIO server spends {us(http['nio@32']['cpu_us'])}. Of the gateway's samples "
          f"{share.get('kernel', 0):.0f}% are in the kernel, led by `finish_task_switch` (threads waking each other: wrk "
          f"and the event loops over loopback TCP, and each request's hand-off to a worker thread and back), {share.get('sqlite', 0):.0f}% "
          f"in SQLite (the activation record every invocation writes), {share.get('runtime', 0):.0f}% in the Swift runtime "
          f"and libc (malloc/free, retain/release, contended-lock slow paths) and {share.get('own', 0):.0f}% in the "
          "binary's own code, spread thin with no single hot function."
          + (f" Without HTTP, the scheduler alone runs {rps(warm8['rate'])} warm `noop` invocations/s at 8 callers "
             f"(`faas-bench scheduler`, no load generator sharing the cores) against {rps(http['noop@32']['rps'])} req/s over HTTP, and a bare compartment "
             f"invoke is {us(sandbox.get('warm_noop'))}: the missing throughput is in the HTTP-to-scheduler path "
             "(the activation record and its writer thread, per-request allocation, the hand-off to a worker thread), "
             "not in the compartment."
             if warm8 else ""))
        w("")
    if sandbox.get("cold_hello_first") and sandbox.get("cold_hello_create"):
        w(f"**Cold `hello`.** Creating the compartment takes {us(sandbox['cold_hello_create'])}, its first invoke brings "
          f"the total to {us(sandbox['cold_hello_first'])}, while a warm invoke takes {us(sandbox.get('warm_hello'))}: "
          "WasmKit 0.4.2 translates each function on its first call in an instance (`.uncompiled` code in its "
          "`Function.swift`), so every cold `hello` pays the translation of the libc code `_start` reaches. Sharing "
          "translated code across compartments of one image, or snapshotting an initialised compartment, is where a "
          "cold start would get shorter.")
        w("")
    w("CPU per request (HTTP-limit table) compares the servers directly: " + ", ".join(
        f"{names[n]} {us(http[f'{n}@32']['cpu_us'])}" for n in ("nginx", "nio", "noop", "hello")) +
      " at c=32. The difference between `noop` and SwiftNIO is what the gateway's routing, admission, scheduler "
      "hand-off and compartment invocation add per request.")
    w("")
    w("## Raw data")
    w("")
    w("The run's raw outputs (wrk JSON, samples, the `faas-bench` texts, perf data) stay in "
      "`deploy/loadtest/out/report-*/` of the machine that ran it. The in-process benchmark texts of this run:")
    w("")
    for name in ("sandbox", "scheduler", "registry"):
        w(f"<details><summary>faas-bench {name}</summary>")
        w("")
        w("```")
        w(facts["in_process"][name].strip())
        w("```")
        w("")
        w("</details>")
        w("")
    with open(args.doc, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
