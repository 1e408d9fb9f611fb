"""Parsing and Markdown for deploy/loadtest/report: turns the run's facts into docs/BENCHMARKS.md."""
import os
import re
import shutil
import statistics
import types

import loadlib
from loadlib import LoadTestError

GIB = 1 << 30

# The gateway configurations the report runs side by side, in table order: (server name, the prefix of their
# figures' keys, `faas serve` flags beyond --port, --data and --js-runtime). The first is the default
# configuration, the one the targets hold; the next two are the ways of switching the access log off, the last
# the default with each worker thread pinned to a CPU (an option, measured beside the default to decide its default).
GATEWAYS = (("faas", "", []), ("faas-quiet", "quiet:", ["--access-log", "off"]),
            ("faas-warning", "warning:", ["--log-level", "warning"]), ("faas-pinned", "pinned:", ["--pin-workers", "on"]))
CONFIGURATIONS = {"faas": "default", "faas-quiet": "`--access-log off`", "faas-warning": "`--log-level warning`",
                  "faas-pinned": "`--pin-workers on`"}
# The configurations run at both concurrencies; the others at c=32 only.
BOTH_CONCURRENCIES = ("faas", "faas-pinned")

# What the HTTP-limit matrix loads, in table order: (key without the gateway's prefix, label).
LOADS = (("nginx", "nginx fixed 200"), ("nio", "SwiftNIO hello"), ("healthz", "cvmfaas `GET /healthz`"),
         ("noop", "cvmfaas warm `noop` (iv)"), ("hello", "cvmfaas warm `hello` (C, WASI)"),
         ("rust-hello", "cvmfaas warm `rust-hello` (Rust, WASI)"), ("js-hello", "cvmfaas warm `js-hello` (JavaScript)"))
LABELS = dict(LOADS)

# The same hello in each language the platform runs: (language, function).
LANGUAGES = (("C", "hello"), ("Rust", "rust-hello"), ("JavaScript", "js-hello"))

# What coldstart measured, in table order: (function, label).
COLD = (("noop", "`noop` (iv)"), ("hello", "`hello` (C, WASI)"), ("init-cache", "`init-cache` (iv with iv_init)"),
        ("rust-hello", "`rust-hello` (Rust, WASI)"), ("js-hello", "`js-hello` (JavaScript)"))

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
        out[f"cold_{name}_first_fresh"] = find_duration(text, f"cold {name}: create + first invoke, fresh instance:")
        out[f"warm_{name}"] = find_duration(text, f"warm {name}: invoke + reset:")
    # Compartments of init-cache, started from the copy of what the first one's iv_init left, or running iv_init.
    out["cold_init_copy"] = find_duration(text, "cold init-cache: create from the initial state:")
    out["cold_init_rerun"] = find_duration(text, "cold init-cache: create running iv_init:")
    match = re.search(r"initial-state copy: ([0-9.]+)x faster creation", text)
    if match:
        out["init_speedup"] = float(match.group(1))
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


def kib(value):
    if value is None:
        return "n/a"
    return f"{value / 1024:.2f} MiB" if abs(value) >= 1024 else f"{value:.0f} KiB"


def points(value):
    """A difference of fractions, in percentage points."""
    return f"{value * 100:.1f} points"


def rps(value):
    return f"{value:,.0f}" if value is not None else "n/a"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "n/a"


def times(value):
    return f"{value:.2f}×" if value is not None else "n/a"


def fraction(a, b):
    return a / b if a is not None and b else None


def verdict(value, target, higher_is_better=True, show=us):
    """'met' or 'missed by …' for a figure against its target (`show` formats a lower-is-better miss)."""
    if value is None:
        return "not measured"
    if (value >= target) if higher_is_better else (value <= target):
        return "**met**"
    if higher_is_better:
        return f"**missed** by {(1 - value / target) * 100:.0f}% (reached {value / target * 100:.0f}% of the target)"
    return f"**missed** by {show(value - target)} ({value / target:.1f}× the target)"


def median(values):
    return statistics.median(values) if values else None


def dig(value, *path):
    """value[path[0]][path[1]]…, or None where a step is missing: a figure this run did not produce."""
    for key in path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, dict) and str(key) in value:  # facts.json turned the key into a string
            value = value[str(key)]
        else:
            return None
    return value


def cell(http, key, c):
    """One HTTP-limit figure (median of rounds) or None."""
    return (http or {}).get(f"{key}@{c}")


def http_rows(http):
    """(key, label, configuration, c) of every HTTP-limit figure of the run, in table order."""
    rows = []
    for c in (32, 256):
        for what, label in LOADS:
            if what in ("nginx", "nio"):
                candidates = [(what, "—")]
            else:
                candidates = [(prefix + what, CONFIGURATIONS[name]) for name, prefix, _ in GATEWAYS]
            rows += [(key, label, config, c) for key, config in candidates if cell(http, key, c)]
    return rows


# ---- The HTTP-limit chart --------------------------------------------------------------------------------

def http_chart(http, folder):
    """Requests/s at c=32 and c=256 of every load on the default gateway and of the two peers."""
    labels = {"nginx": "nginx fixed 200", "nio": "SwiftNIO hello", "healthz": "cvmfaas /healthz",
              "noop": "cvmfaas noop (iv)", "hello": "cvmfaas hello (C)", "rust-hello": "cvmfaas rust-hello",
              "js-hello": "cvmfaas js-hello"}
    shown = [what for what, _ in LOADS if cell(http, what, 32) and cell(http, what, 256)]
    if not shown:
        return None
    with open(os.path.join(folder, "http-limit.dat"), "w") as f:
        for what in shown:
            f.write(f"\"{labels[what]}\" {http[f'{what}@32']['rps']} {http[f'{what}@256']['rps']}\n")
    loadlib.run_gnuplot("\n".join([
        f"set terminal png size {max(900, 150 * len(shown))},520 noenhanced", "set output 'http-limit.png'",
        "set title 'HTTP limit: requests/s (median of rounds, wrk keep-alive, default gateway, same machine, same run)'",
        "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8 border -1",
        "set boxwidth 0.9", f"set xrange [-0.6:{len(shown) - 0.4}]", "set yrange [0:*]", "set grid ytics",
        "set ylabel 'requests/s'", "set key top right",
        "plot 'http-limit.dat' using 2:xtic(1) title 'c=32', '' using 3 title 'c=256'", ""]), folder)
    return os.path.join(folder, "http-limit.png")


# ---- The document -----------------------------------------------------------------------------------------

def write(facts, args, work):
    """Writes args.doc from the run's facts. Each section is rendered on its own: a figure missing from the facts
    (a tool that failed, an example not built) costs its section a note, and the rest of the document is written."""
    doc_dir = os.path.dirname(os.path.abspath(args.doc))
    images = os.path.join(doc_dir, "benchmarks")
    os.makedirs(images, exist_ok=True)
    given = facts.get("in_process") or {}
    x = types.SimpleNamespace(
        facts=facts, args=args, m=facts.get("machine") or {}, http=facts.get("http") or {},
        cold=facts.get("cold_http") or {}, peers=facts.get("peers") or {}, memory=facts.get("compartment_memory") or {},
        sandbox=parse_sandbox(given.get("sandbox") or ""), scheduler=parse_scheduler(given.get("scheduler") or ""),
        registry=parse_registry(given.get("registry") or ""), durable=parse_async(given.get("async") or ""),
        async_http=facts.get("async_http"), charts=set())
    try:
        chart = None if getattr(args, "no_charts", False) else http_chart(x.http, work)
    except (LoadTestError, OSError) as error:
        print(f"report: no HTTP-limit chart: {error}")
        chart = None
    sources = {"http-limit.png": chart, "coldstart-noop.png": dig(x.cold, "noop", "chart"),
               "coldstart-hello.png": dig(x.cold, "hello", "chart"), "throughput-noop.png": x.cold.get("throughput_chart")}
    for name, path in sources.items():
        if path and os.path.exists(path):
            shutil.copyfile(path, os.path.join(images, name))
            x.charts.add(name)
    carried = hand_sections(args.doc)  # read before the file is rewritten

    lines = []
    for title, render in ((None, header), ("Targets", targets), ("HTTP limit", http_limit),
                          ("Async invocations (durable)", async_invocations), ("Cold start", cold_start),
                          ("Languages", languages), ("Compute", compute), ("Memory", memory),
                          ("Deploy time", deploy_time), ("Where the time goes", where_the_time_goes)):
        section(lines, title, render, x)
    for block in carried:
        lines += block.rstrip("\n").split("\n") + [""]
    section(lines, "Raw data", raw_data, x)
    with open(args.doc, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def section(lines, title, render, x):
    """Appends one section, or a note where its figures are missing: the report degrades, it does not die."""
    own = []
    try:
        render(own.append, x)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, IndexError) as error:
        own = [f"_Not rendered: this run's facts lack a figure this section needs ({type(error).__name__}: {error})._", ""]
    if title:
        lines += [f"## {title}", ""]
    lines += own


def hand_sections(path):
    """The previous document's sections measured by hand (their heading says so), kept across runs until the report
    measures them. Their access-log part is measured by the report now (HTTP limit, Targets) and is dropped."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return []
    kept = []
    for block in re.split(r"(?m)^(?=## )", text):
        heading = block.split("\n", 1)[0]
        if not block.startswith("## ") or "measured by hand" not in heading:
            continue
        block = re.sub(r"(?ms)^\*\*Access log\.\*\*.*?(?=^\*\*|\Z)", "", block)
        block = re.sub(r"^## Access log, (\w)", lambda m: "## " + m.group(1).upper(), block)
        kept.append(block)
    return kept


def header(w, x):
    m, args = x.m, x.args
    w("# Benchmarks")
    w("")
    w("Generated by `deploy/loadtest/report` (one command, one run; do not edit by hand). Every peer ran in the same")
    w("run on the same machine as the platform; figures are medians and comparisons are ratios, because the machine")
    w("is shared and its absolute speed drifts (see the load average and the busiest processes).")
    w("")
    w("| | |")
    w("| --- | --- |")
    w(f"| machine | {m.get('nproc', '?')} cores, {m.get('model', '?')}, {m.get('mem_gib', '?')} GiB, Linux {m.get('kernel', '?')} |")
    w(f"| commit | `{m.get('commit', '?')}` |")
    w(f"| date | {m.get('date', '?')} (run took {m.get('seconds', '?')} s) |")
    w(f"| load average | {' '.join(m.get('loadavg_start') or ['?'])} at the start, "
      f"{' '.join(m.get('loadavg_end') or ['?'])} at the end |")
    busiest = m.get("busiest_start")
    if busiest is not None:
        w("| busiest processes at the start | " + (", ".join(
            f"`{p['name'].replace('|', '/')}` {p['cpu_percent']:.0f}%" for p in busiest) or "none used any CPU") +
          " (CPU over 1 s before anything was started, this report left out; 100% is one core) |")
    w(f"| tools | {m.get('wrk', '?')}; {m.get('nginx', '?')}; Wasmtime from PyPI (`wasmtime` package); gcc -O2 |")
    w(f"| settings | {args.rounds} round(s) of {args.duration:g} s per wrk run; {args.cold_samples} cold samples per figure |")
    w("")


def targets(w, x):
    h, cold, js = x.http, x.cold, x.memory.get("js-hello") or {}
    w("Measured on the default configuration: `faas serve` with no logging flags, so the access log is on (one `info` "
      "line per request, here into a file). The `--access-log off` gateway ran in the same rounds and is the access "
      "log's baseline. Ratios are of requests/s medians of the same run (HTTP limit); cold starts are client-side p50 "
      "over HTTP of `warm: 0`, `keep_alive: 0s` copies (Cold start).")
    w("")
    w("| target | measured | ratio | verdict |")
    w("| --- | --- | --- | --- |")

    def versus(label, key, peer, c, target):
        ours, theirs = dig(cell(h, key, c), "rps"), dig(cell(h, peer, c), "rps")
        value = fraction(ours, theirs)
        measured = f"{rps(ours)} vs {rps(theirs)} req/s" if value is not None else "n/a"
        w(f"| {label} | {measured} | {times(value)} | {verdict(value, target)} |")

    versus("warm `iv` noop ≥ 0.60× SwiftNIO hello at c=32", "noop", "nio", 32, 0.60)
    versus("warm `iv` noop ≥ 0.80× SwiftNIO hello at c=256", "noop", "nio", 256, 0.80)
    for c in (32, 256):
        versus(f"`/healthz` ≥ 0.90× SwiftNIO hello at c={c}", "healthz", "nio", c, 0.90)
    for c in (32, 256):
        versus(f"warm WASI `hello` ≥ 0.25× nginx at c={c}", "hello", "nginx", c, 0.25)
    for what, label in (("noop", "warm `noop`"), ("healthz", "`/healthz`")):
        on, off = dig(cell(h, what, 32), "rps"), dig(cell(h, "quiet:" + what, 32), "rps")
        cost = 1 - on / off if on is not None and off else None
        measured = f"cost {cost * 100:+.1f}% ({rps(on)} req/s on, {rps(off)} off)" if cost is not None else "n/a"
        share = fraction(on, off)
        w(f"| access logging on costs ≤ 5% against off ({label}, c=32) | {measured} | "
          f"{times(share) + ' on/off' if share is not None else 'n/a'} | {verdict(cost, 0.05, False, points)} |")
    for c in (32, 256):
        ours, theirs = dig(cell(h, "noop", c), "cpu_us"), dig(cell(h, "nio", c), "cpu_us")
        share = fraction(ours, theirs)
        w(f"| server CPU per warm `noop` request ≤ 30 µs at c={c} (SwiftNIO hello ~17 µs) | {us(ours)}"
          + (f" (SwiftNIO hello {us(theirs)})" if theirs is not None else "")
          + f" | {times(share) + ' SwiftNIO' if share is not None else 'n/a'} | {verdict(ours, 30, False)} |")
    for function, label, target, text in (("noop", "iv `noop`", 400, "400 µs"), ("hello", "WASI `hello`", 3000, "3 ms"),
                                          ("init-cache", "`init-cache`", 1000, "1 ms"),
                                          ("js-hello", "JavaScript `js-hello`", 10000, "10 ms")):
        phase = dig(cold, function, "summary", "cold") or {}
        p50 = dig(phase, "client_us", "p50")
        warm = dig(phase, "starts", "warm")
        note = f" ({warm} of {phase.get('samples')} answered warm)" if warm else ""
        w(f"| cold start over HTTP, {label} ≤ {text} (client p50) | {us(p50)}{note} | — | {verdict(p50, target, False)} |")
    per = js.get("kib_per_compartment")
    w(f"| RSS per warm JS compartment ≤ 2 MiB beyond the shared runtime image | {kib(per)}"
      + (f" (linear memory {kib(js.get('linear_kib'))})" if per is not None else "")
      + f" | — | {verdict(per, 2048, False, kib)} |")
    p50 = dig(cold, "js-hello", "summary", "warm", "server_us", "p50")
    w(f"| JavaScript warm invocation p50 ≤ 1 ms server-side (`X-Faas-Duration-Us`) | {us(p50)} | — "
      f"| {verdict(p50, 1000, False)} |")
    w("")
    ceiling(w, x)


def ceiling(w, x):
    """Where the throughput targets stop: the gateway's HTTP path alone, and the scheduler without HTTP."""
    h = x.http
    parts = []
    health, nio, noop = (dig(cell(h, k, 32), "rps") for k in ("healthz", "nio", "noop"))
    if health and nio:
        parts.append(f"`/healthz` is the gateway's HTTP path with no scheduler and no function behind it, so it bounds "
                     f"what any function reaches through this gateway: {rps(health)} req/s at c=32, "
                     f"{times(fraction(health, nio))} SwiftNIO hello")
        if noop:
            parts.append(f"warm `noop` reaches {times(fraction(noop, health))} of it, the rest being the scheduler, "
                         "the compartment and the activation record")
    warm8 = x.scheduler.get("warm_noop_c8")
    if warm8:
        parts.append(f"without HTTP the scheduler alone runs {rps(warm8['rate'])} warm `noop` invocations/s at 8 callers "
                     "(`faas-bench scheduler`)")
    if parts:
        w("Ceilings measured in this run, what bounds the throughput targets: " + "; ".join(parts) + ". The profile of the default "
          "gateway under `noop` and `hello` is under *Where the time goes*, the in-process cold starts under *Cold start*.")
        w("")


def http_limit(w, x):
    h, m, args = x.http, x.m, x.args
    w("wrk (keep-alive, `POST` with a 7-byte body, `GET` for `/healthz`, " + f"{min(m.get('nproc') or 2, 4)} threads, "
      f"{args.duration:g} s per run, {args.rounds} round(s) interleaving the servers, median of the rounds) against "
      "nginx returning a fixed 200 (`return 200 \"hello\"`, `worker_processes auto`, no access log), `faas-bench "
      "nio-hello` (SwiftNIO, one event loop per core, fixed 200), and the gateway (`faas serve`, release build) in four "
      "configurations, one process each: the default (access log on, written to a file), `--access-log off`, "
      "`--log-level warning` and `--pin-workers on`. Each gateway answers `GET /healthz` (its HTTP path alone) and "
      "invokes `noop` (iv ABI, returns at once) and `hello` (C, WASI: stdin → stdout); the default one also the Rust "
      "and JavaScript hellos. Functions are deployed with `warm` and `concurrency` = cores and `queue: 512`. The "
      "`--access-log off` and `--log-level warning` gateways run at c=32 only, and in each round the configurations "
      "take turns going first. wrk runs on the same cores as the servers, so every figure includes the load generator's share. Server "
      "CPU per request is the loaded server process's user+system time over the run divided by its requests.")
    logs = x.facts.get("log_bytes") or {}
    if logs:
        w("")
        w("Log written over the whole run, the gateways' stderr into files of the run folder: " + ", ".join(
            f"{CONFIGURATIONS[name]} {kib(size / 1024)}" for name, size in logs.items() if name in CONFIGURATIONS) + ".")
    w("")
    w("| server | configuration | c | requests/s | × nginx | × SwiftNIO | p50 | p99 | server CPU / request | errors |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = http_rows(h)
    for key, label, config, c in rows:
        one = cell(h, key, c)
        share = [fraction(one["rps"], dig(cell(h, peer, c), "rps")) for peer in ("nginx", "nio")]
        w(f"| {label} | {config} | {c} | {rps(one['rps'])} | "
          + " | ".join(f"{v:.2f}" if v is not None else "n/a" for v in share)
          + f" | {us(one.get('p50_us'))} | {us(one.get('p99_us'))} | {us(one.get('cpu_us'))} | {one.get('errors', 'n/a')} |")
    w("")
    if rows:
        w("Rounds (requests/s), to show the spread: " + "; ".join(
            f"{label}{'' if config in ('—', 'default') else ' ' + config} c={c}: "
            + ", ".join(rps(r) for r in cell(h, key, c).get("rounds", [])) for key, label, config, c in rows) + ".")
        w("")
    pinning(w, h)
    if "http-limit.png" in x.charts:
        w("![HTTP limit](benchmarks/http-limit.png)")
        w("")
    tp = x.cold.get("throughput")
    if tp:
        w("Warm `noop` on the default gateway at more concurrencies (`deploy/loadtest/throughput --function noop "
          "--concurrency 1,8,32,128,256 --duration 3`; per-status counting on): " + ", ".join(
              f"c={r['concurrency']}: {rps(r['rps'])} req/s, p99 {us(r['latency_us']['p99'])}" for r in tp) + ".")
        w("")
        if "throughput-noop.png" in x.charts:
            w("![throughput of noop](benchmarks/throughput-noop.png)")
            w("")


def pinning(w, h):
    """`--pin-workers on` against the default, load by load: the ratio of the medians and the rounds it won (the
    rounds of both ran in the same round, one after the other)."""
    parts = []
    for what in ("healthz", "noop", "hello"):
        for c in (32, 256):
            pinned, default = cell(h, "pinned:" + what, c), cell(h, what, c)
            if not pinned or not default:
                continue
            share = fraction(pinned["rps"], default["rps"])
            pairs = list(zip(pinned.get("rounds", []), default.get("rounds", [])))
            won = sum(1 for a, b in pairs if a > b)
            cpu = f", CPU per request {us(pinned.get('cpu_us'))} vs {us(default.get('cpu_us'))}" \
                if pinned.get("cpu_us") is not None and default.get("cpu_us") is not None else ""
            parts.append(f"{LABELS[what]} c={c}: {times(share)} ({rps(pinned['rps'])} vs {rps(default['rps'])} req/s, "
                         f"won {won} of {len(pairs)} rounds{cpu})")
    if parts:
        w("Worker pinning, `--pin-workers on` against the default (same build, same run): " + "; ".join(parts) + ".")
        w("")


def async_invocations(w, x):
    async_http, durable, args = x.async_http, x.durable, x.args
    if not (async_http or durable):
        w("Not measured in this run.")
        w("")
        return
    w("Every `X-Faas-Async: true` invocation is committed to `registry.sqlite` (WAL, `synchronous = FULL`) before its "
      "202; the queue's writer thread commits what has gathered in one transaction (group commit). Over HTTP: wrk "
      "c=32 against the default gateway (access log on), `POST /invoke/bench-noop` with and "
      f"without the header, interleaved, {args.rounds} round(s) of {args.duration:g} s; per-status counting on.")
    w("")
    w("| target | measured | verdict |")
    w("| --- | --- | --- |")
    accepted = dig(async_http, "async", "rps")
    w(f"| durable async accept ≥ 5,000 202s/s at c=32 over HTTP | {rps(accepted)} /s | {verdict(accepted, 5000)} |")
    w(f"| durable async accept ≥ 5,000/s at c=32 in process (`faas-bench async`) | {rps(durable.get('accept_rate'))} /s "
      f"| {verdict(durable.get('accept_rate'), 5000)} |")
    w(f"| accept-to-start p50 ≤ 2 ms with a compartment free | {us(durable.get('start_p50'))} "
      f"| {verdict(durable.get('start_p50'), 2000, False)} |")
    w("")
    if async_http:
        w("| invocation | requests/s | p50 | p99 | server CPU / request | answers |")
        w("| --- | --- | --- | --- | --- | --- |")
        for mode, label in (("async", "async (202, durable)"), ("sync", "sync (200)")):
            one = async_http[mode]
            answers = ", ".join(f"{k}: {v}" for k, v in sorted(one["statuses"].items()))
            w(f"| {label} | {rps(one['rps'])} | {us(one['p50_us'])} | {us(one['p99_us'])} | {us(one['cpu_us'])} | {answers} |")
        w("")
        w("Rounds (requests/s): " + "; ".join(
            f"{mode}: " + ", ".join(rps(r) for r in async_http[mode]["rounds"]) for mode in ("async", "sync")) + ".")
        w("")
    if durable:
        w("In process (`faas-bench async`: the scheduler and the async runner over a registry in a temporary folder, "
          "no HTTP): " + (f"sync invoke {rps(durable['sync_rate'])}/s at c=32; " if "sync_rate" in durable else "")
          + (f"durable accept {rps(durable['accept_rate'])}/s at c=32 (p50 {us(durable['accept_p50'])}, p99 "
             f"{us(durable['accept_p99'])}); " if "accept_rate" in durable else "")
          + (f"accept-to-start with a compartment free p50 {us(durable['start_p50'])}, p99 {us(durable['start_p99'])} "
             "(the accept, stored and answered, plus the wait from the hand-over to the guest starting)." if "start_p50" in durable else ""))
        w("")


def starts(phase):
    return ", ".join(f"{k}: {v}" for k, v in sorted((phase.get("starts") or {}).items()))


def cold_start(w, x):
    cold, sandbox, scheduler, peers = x.cold, x.sandbox, x.scheduler, x.peers
    measured = [(f, label) for f, label in COLD if dig(cold, f, "summary")]
    w("Ours over HTTP, against the default gateway: `deploy/loadtest/coldstart --function F --details` deploys "
      "`lt-F-cold` with `warm: 0` and `keep_alive: 0s`, so every invocation creates a compartment from the cached "
      "image, runs it and destroys it (the new compartment runs on the instance the previous one left, recycled: its "
      "memory and globals overwritten with the image's initial state, the code WasmKit translated kept); each sample is one sequential `POST /invoke` on a kept-alive connection from a "
      "Python client, timed from request written to last byte read, and its `X-Faas-Start` header is recorded (the "
      "table counts them). `noop` and `hello` also run the deploy phase, the others only the cold and warm ones. The "
      "client itself costs the 'client floor': the same client against the SwiftNIO fixed-200 server. In-process "
      "figures come from `faas-bench scheduler` (the scheduler's `invoke` of a `warm: 0` function, no HTTP) and "
      "`faas-bench sandbox` (compartment create + first invoke, no scheduler); both load the modules "
      "`functions/build.sh` built, the same files the gateway serves and Wasmtime runs.")
    w("")
    w("| what | p50 | p90 | p99 | starts seen | notes |")
    w("| --- | --- | --- | --- | --- | --- |")

    def row(label, figures, seen, notes):
        w(f"| {label} | {us(figures.get('p50'))} | {us(figures.get('p90'))} | {us(figures.get('p99'))} | {seen} | {notes} |")

    for f, label in measured:
        c = cold[f]["summary"].get("cold")
        if c:
            row(f"cvmfaas {label} cold, HTTP end to end", c["client_us"], starts(c),
                f"server side (`X-Faas-Duration-Us`) p50 {us(dig(c, 'server_us', 'p50'))}; activation init p50 "
                f"{us(cold[f].get('init_us'))}, run {us(cold[f].get('run_us'))}, queue {us(cold[f].get('queue_us'))}")
    for f, label in measured:
        s = cold[f]["summary"].get("warm")
        if s:
            row(f"cvmfaas {label} warm, HTTP end to end", s["client_us"], starts(s),
                f"server side p50 {us(dig(s, 'server_us', 'p50'))}, p99 {us(dig(s, 'server_us', 'p99'))}")
    for f, label in measured:
        d = cold[f]["summary"].get("deploy")
        if d:
            row(f"cvmfaas {label} deploy → first response", d["client_us"], starts(d),
                f"a new version per sample: `POST /functions` p50 {us(dig(d, 'deploy_us', 'p50'))}, then its first "
                f"invoke p50 {us(dig(d, 'first_response_us', 'p50'))}")
    floor = cold.get("client_floor_us")
    if floor:
        row("client floor (same client → SwiftNIO fixed 200)", floor, "", "what the Python client and loopback add to every HTTP row")
    for f in ("noop", "hello"):
        sc = scheduler.get(f"cold_{f}")
        if sc:
            w(f"| cvmfaas `{f}` cold, in-process scheduler | {us(sc['p50'])} | | {us(sc['p99'])} | cold: {sc['cold']}/{sc['samples']} | "
              "`faas-bench scheduler` |")
    for f in ("noop", "hello"):
        if sandbox.get(f"cold_{f}_first") is not None:
            fresh = sandbox.get(f"cold_{f}_first_fresh")
            w(f"| cvmfaas `{f}` compartment create + first invoke | {us(sandbox.get(f'cold_{f}_first'))} | | | | "
              f"`faas-bench sandbox` median, on the instance the previous compartment left (recycled); create alone "
              f"{us(sandbox.get(f'cold_{f}_create'))}"
              + (f"; on a fresh instance (`recycledInstances: 0`, same run) {us(fresh)}" if fresh else "") + " |")
    if sandbox.get("cold_init_copy") is not None:
        speedup = sandbox.get("init_speedup")
        w(f"| cvmfaas `init-cache` compartment create | {us(sandbox['cold_init_copy'])} | | | | `faas-bench sandbox` "
          f"median: started from a copy of what the first compartment's `iv_init` left; running `iv_init` in each "
          f"instead takes {us(sandbox.get('cold_init_rerun'))}" + (f" ({speedup:.1f}× longer)" if speedup else "") + " |")
    wc = dig(peers, "wasmtime_cold", "samples_us")
    if wc:
        w(f"| Wasmtime: new Store + WASI + instantiate + `_start` of the same hello.wasm | {us(loadlib.percentile(wc, 50))} | "
          f"{us(loadlib.percentile(wc, 90))} | {us(loadlib.percentile(wc, 99))} | | module compiled once (as our image is "
          f"parsed once); with compilation per sample: p50 {us(median(peers['wasmtime_cold'].get('with_compile_us')))}; "
          "driven from Python, so the call overhead of the binding is included |")
    sp = dig(peers, "spawn", "samples_us")
    if sp:
        w(f"| native `hello` process per request (posix_spawn + pipes + wait) | {us(loadlib.percentile(sp, 50))} | "
          f"{us(loadlib.percentile(sp, 90))} | {us(loadlib.percentile(sp, 99))} | | gcc -O2 `functions/hello/hello.c`; the "
          "lower bound of process/container-per-request platforms |")
    w("")
    cold_hello = dig(cold, "hello", "summary", "cold", "client_us", "p50")
    ours = sandbox.get("cold_hello_first")
    if wc and sp:
        w(f"Ratios (p50): our `hello` cold start over HTTP is {ratio(cold_hello, loadlib.percentile(sp, 50))} a native "
          f"process spawn and {ratio(cold_hello, loadlib.percentile(wc, 50))} Wasmtime's create+run; in-process "
          f"(compartment create + first invoke) it is {ratio(ours, loadlib.percentile(wc, 50))} Wasmtime's and "
          f"{ratio(ours, loadlib.percentile(sp, 50))} the native spawn.")
        w("")
    w("Published anchors, for context only (other machines, other definitions): Firecracker boots a microVM to user space "
      "in about 125 ms; AWS Lambda cold starts run from about 100 ms to over 1 s; Fission's pre-warmed pool answers a cold "
      "function in about 100 ms; Spin claims about 0.5 ms to instantiate a Wasm component; Faasm restores a "
      "proto-faaslet (a snapshot of an initialised Wasm instance) in well under a millisecond.")
    w("")
    for f in ("noop", "hello"):
        if f"coldstart-{f}.png" in x.charts:
            w(f"![cold start {f}](benchmarks/coldstart-{f}.png)")
            w("")


def languages(w, x):
    h, cold, mem = x.http, x.cold, x.memory
    size = x.facts.get("js_runtime_bytes")
    w("The same `hello` (it answers `Hello, <body>!`) in each language the platform runs, on the default gateway: C "
      "and Rust compiled to WASI commands (`_start` per invocation, the compartment reset after it), JavaScript as a "
      "`runtime: js` function (`index.js`, no module of its own) on the platform's JavaScript runtime: one QuickJS "
      "module (`functions/build/runtime/js.wasm`" + (f", {kib(size / 1024)}" if size else "") + "), prepared once "
      "per gateway and shared by every JavaScript function. Warm requests/s come from the HTTP-limit matrix (c=32, "
      "median of the rounds); warm and cold p50 from `coldstart` (sequential, one client; server side is "
      "`X-Faas-Duration-Us`); RSS per warm compartment is the gateway's growth over a pool of them (Memory).")
    w("")
    w("| language | function | warm req/s c=32 | × C | warm p50 server-side | warm p50 client | cold p50 client "
      "| cold p50 server-side | RSS per warm compartment | linear memory |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    c_rate = dig(cell(h, "hello", 32), "rps")
    figures = {}
    for language, function in LANGUAGES:
        rate = dig(cell(h, function, 32), "rps")
        warm = dig(cold, function, "summary", "warm") or {}
        cold_phase = dig(cold, function, "summary", "cold") or {}
        one = mem.get(function) or {}
        figures[function] = {"warm": dig(warm, "server_us", "p50"), "cold": dig(cold_phase, "client_us", "p50"),
                             "rss": one.get("kib_per_compartment")}
        w(f"| {language} | `{function}` | {rps(rate)} | {times(fraction(rate, c_rate))} | {us(figures[function]['warm'])} "
          f"| {us(dig(warm, 'client_us', 'p50'))} | {us(figures[function]['cold'])} | {us(dig(cold_phase, 'server_us', 'p50'))} "
          f"| {kib(one.get('kib_per_compartment'))} | {kib(one.get('linear_kib'))} |")
    w("")
    js, c = figures["js-hello"], figures["hello"]
    if any(v is not None for v in js.values()):
        w(f"JavaScript against C: warm server-side p50 {ratio(js['warm'], c['warm'])}, cold start "
          f"{ratio(js['cold'], c['cold'])}, RSS per warm compartment {ratio(js['rss'], c['rss'])}. Targets: JavaScript "
          f"warm p50 ≤ 1 ms server-side ({verdict(js['warm'], 1000, False)}), cold ≤ 10 ms "
          f"({verdict(js['cold'], 10000, False)}), RSS ≤ 2 MiB per warm compartment beyond the shared runtime image "
          f"({verdict(js['rss'], 2048, False, kib)}).")
        w("")


def compute(w, x):
    sandbox, wf = x.sandbox, x.peers["wasmtime_fib"]
    nf = median(x.peers["native_fib"]["samples_us"])
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


def memory(w, x):
    sandbox, mem = x.sandbox, x.memory
    per = sandbox.get("kib_per_compartment")
    if per:
        w(f"`faas-bench sandbox` creates {sandbox['memory_compartments']} `hello` compartments, invokes each once and keeps "
          f"them: the process RSS grows by **{per} KiB per warm compartment** (linear memory {sandbox['linear_kib']} KiB "
          f"each; the image is shared). **{GIB // (per * 1024):,} warm `hello` compartments fit in 1 GiB** "
          f"(RSS alone, before the gateway's own footprint; the default gateway's RSS at the end of this run was "
          f"{(x.facts.get('gateway_rss_kib') or 0) // 1024} MiB).")
        w("")
    if mem:
        count = next(iter(mem.values())).get("compartments", 40)
        w(f"Through the gateway: a copy of the function deployed on the default gateway with `warm: {count}`, "
          f"`concurrency: {count}` and `keep_alive: 1h`; the pool fills in the background (sealed compartments, "
          "initialised and never invoked); the gateway's VmRSS is read before the deploy and once `GET /functions/NAME` "
          f"shows all {count} sealed, over {count}; linear memory is the median `memory_bytes` of the copy's compartments "
          "in `GET /cvms`. The JavaScript runtime's module was loaded before (bench-js-hello), so its figure is beyond "
          f"the shared runtime image; a C or Rust copy brings its own image, 1/{count} of which is in its figure.")
        w("")
        w("| function | RSS per warm compartment | linear memory | gateway RSS before → after | answers after |")
        w("| --- | --- | --- | --- | --- |")
        for language, function in LANGUAGES:
            one = mem.get(function)
            if one:
                w(f"| `{function}` ({language}) | {kib(one.get('kib_per_compartment'))} | {kib(one.get('linear_kib'))} | "
                  f"{kib(one.get('rss_before_kib'))} → {kib(one.get('rss_after_kib'))} | "
                  f"{'yes' if one.get('answers') else 'no'} |")
        w("")
    if not per and not mem:
        w("Not measured in this run.")
        w("")


def deploy_time(w, x):
    w("`faas-bench registry` deploys an archive whose module is 1 MiB / 10 MiB (read, validate, hash, compress, durable "
      "store, register; 7 runs, median). Over HTTP, `POST /functions` of `hello` with an incompressible data file making "
      "the archive about 1 MiB / 10 MiB (7 new versions each, median, client-timed).")
    w("")
    w("| archive | registry (in-process) | over HTTP |")
    w("| --- | --- | --- |")
    for size in (1, 10):
        r = x.registry.get(size)
        h = dig(x.facts.get("deploy_http") or {}, size)
        in_process = f"{r['median_ms']:.1f} ms (archive {r['archive_mib']:.2f} MiB)" if r else "n/a"
        over_http = f"{us(h['median_us'])} (archive {h['archive_bytes'] / 1048576:.2f} MiB)" if h else "n/a"
        w(f"| {size} MiB | {in_process} | {over_http} |")
    w("")


def where_the_time_goes(w, x):
    http, sandbox, scheduler = x.http, x.sandbox, x.scheduler
    prof = x.facts.get("profile")
    if prof and any(k in prof for k in ("noop", "hello")):
        counters = "hardware counters work here" if prof.get("hardware_counters") else \
            "hardware counters are not available in this machine (perf stat reports `<not supported>`), so perf samples the `cpu-clock` software event"
        w(f"`perf record -e cpu-clock -F 499 -g -p <gateway>` of the default gateway (access log on) for 5 s while wrk "
          f"loads the function at c=32; {counters}. Self time by shared object and the top symbols (≥ 1.5%):")
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
    if prof and "noop" in prof and cell(http, "noop", 32) and cell(http, "nio", 32):
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
        fresh = sandbox.get("cold_hello_first_fresh")
        w(f"**Cold `hello`.** Creating the compartment takes {us(sandbox['cold_hello_create'])}, its first invoke brings "
          f"the total to {us(sandbox['cold_hello_first'])}, while a warm invoke takes {us(sandbox.get('warm_hello'))}. "
          "WasmKit 0.4.2 translates each function on its first call in an instance (`.uncompiled` code in its "
          "`Function.swift`), so a fresh instance pays the translation of the libc code `_start` reaches"
          + (f" ({us(fresh)} create + first invoke on a fresh instance in this run)" if fresh else "")
          + "; a compartment on a recycled instance (one a compartment of the same module left when it went away "
          "cleanly, its memory and globals overwritten with the image's initial state) keeps the translated code.")
        w("")
    measured = [(what, label) for what, label in LOADS if cell(http, what, 32)]
    if measured:
        w("CPU per request (HTTP-limit table) compares the servers directly: " + ", ".join(
            f"{label} {us(http[f'{what}@32']['cpu_us'])}" for what, label in measured) +
          " at c=32 (default gateway). The difference between `noop` and SwiftNIO is what the gateway's routing, "
          "admission, scheduler hand-off and compartment invocation add per request; between `/healthz` and SwiftNIO, "
          "what its HTTP path and access log add.")
        w("")


def raw_data(w, x):
    given = x.facts.get("in_process") or {}
    w("The run's raw outputs (wrk JSON, samples, the `faas-bench` texts, perf data, the gateways' logs, `facts.json`) "
      "stay in `deploy/loadtest/out/report-*/` of the machine that ran it. The in-process benchmark texts of this run:")
    w("")
    for name in ("sandbox", "scheduler", "registry", "async"):
        if not given.get(name):
            continue
        w(f"<details><summary>faas-bench {name}</summary>")
        w("")
        w("```")
        w(given[name].strip())
        w("```")
        w("")
        w("</details>")
        w("")


# ---- Sample facts (report --self-test) ----------------------------------------------------------------------

SAMPLE_SANDBOX = """calibration: 1806850048 fuel/s, 34.59 ms
module parse (hello image): 179.27 µs median
cold noop: create: 12.82 µs median
cold noop: create + first invoke: 19.84 µs median
cold hello: create: 31.41 µs median
cold hello: create + first invoke: 2.80 ms median
cold hello: create + first invoke, fresh instance: 4.90 ms median
cold init-cache: create from the initial state: 14.10 µs median
cold init-cache: create running iv_init: 640.52 µs median
initial-state copy: 45.4x faster creation (medians)
warm noop: invoke + reset: 3.33 µs median
warm hello: invoke + reset: 7.74 µs median
memory per warm hello compartment: 104 KiB (RSS +30 MiB over 300, linear memory 128 KiB each)
fib(27) fuel on: 5.58 ms median, min 5.10 ms (8264065 fuel)
fib(27) fuel off: 4.81 ms median, min 4.46 ms
fuel metering overhead on fib: +16.0% (medians), +14.3% (minimums)"""

SAMPLE_SCHEDULER = """scheduler warm noop c=8: 82992 invocations/s, p50 78.6 µs p99 263.7 µs
scheduler warm hello c=8: 40893 invocations/s, p50 117.0 µs p99 2.06 ms
scheduler cold noop-cold (warm: 0, keep_alive: 0s): p50 93.4 µs p99 375.0 µs (400/400 cold)
scheduler cold hello-cold (warm: 0, keep_alive: 0s): p50 2.71 ms p99 4.75 ms (400/400 cold)"""

SAMPLE_REGISTRY = """registry deploy  1 MiB module (archive 0.66 MiB): median 30.3 ms (min 29.3, max 30.4) over 7 runs
registry deploy 10 MiB module (archive 6.62 MiB): median 237.4 ms (min 219.6, max 268.5) over 7 runs"""

SAMPLE_ASYNC = """sync invoke noop c=32: 21000 invocations/s
durable async accept noop c=32: 5270 accepts/s (202s), p50 5.10 ms p99 9.20 ms
accept-to-start c=1 (a compartment free): p50 417.0 µs p99 800.0 µs"""


def sample_facts(folder):
    """Made-up facts of a whole run, every key write() reads, with plausible figures of a 2-core machine (some
    targets met, some missed). Its charts are paths in `folder` that do not exist, as after a cleaned-up run."""
    def spread(p50, count=200):
        return {"count": count, "p50": p50, "p90": round(p50 * 1.3, 1), "p99": round(p50 * 2.1, 1),
                "max": round(p50 * 5, 1), "mean": round(p50 * 1.1, 1)}

    def phase(client, server, start="cold", count=200):
        return {"samples": count, "errors": {}, "starts": {start: count}, "client_us": spread(client, count),
                "server_us": spread(server, count)}

    def coldstart(function, cold, cold_server, warm, warm_server, deploy=None):
        summary = {"cold": phase(cold, cold_server), "warm": phase(warm, warm_server, "warm", 400)}
        if deploy:
            summary["deploy"] = dict(phase(deploy, cold_server), deploy_us=spread(deploy - cold), first_response_us=spread(cold))
        return {"summary": summary, "chart": os.path.join(folder, f"coldstart-{function}", "cdf.png"),
                "init_us": round(cold_server * 0.8), "run_us": round(cold_server * 0.15), "queue_us": 4}

    rates = {"nginx": (100212, 109124, 9.5), "nio": (63521, 59193, 18.0), "healthz": (58010, 55120, 21.0),
             "noop": (36240, 44100, 33.0), "hello": (31800, 36800, 38.0), "rust-hello": (29500, 33900, 41.0),
             "js-hello": (9100, 9800, 170.0), "quiet:healthz": (59200, None, 19.5), "quiet:noop": (37400, None, 31.0),
             "quiet:hello": (32300, None, 36.5), "warning:healthz": (59900, None, 19.0),
             "warning:noop": (37900, None, 30.5), "warning:hello": (32600, None, 36.0),
             "pinned:healthz": (57100, 55900, 21.5), "pinned:noop": (38100, 43100, 32.0),
             "pinned:hello": (32000, 36100, 38.5)}
    http = {}
    for key, (at32, at256, cpu) in rates.items():
        server = "nginx" if key == "nginx" else "nio" if key == "nio" else \
            next((name for name, prefix, _ in GATEWAYS if prefix and key.startswith(prefix)), "faas")
        for c, rate in ((32, at32), (256, at256)):
            if rate:
                http[f"{key}@{c}"] = {"server": server, "rps": rate, "p50_us": round(c / rate * 1e6 * 0.9),
                                      "p99_us": round(c / rate * 1e6 * 6), "cpu_us": cpu, "errors": 0,
                                      "requests": rate * 15, "rounds": [round(rate * 0.94), rate, round(rate * 1.05)]}
    memory = {"js-hello": (1500.4, 1088.0), "hello": (139.2, 128.0), "rust-hello": (171.6, 1152.0)}
    return {
        "machine": {"nproc": 2, "model": "AMD EPYC", "mem_gib": 23.5, "kernel": "6.18.44", "commit": "1f707b1",
                    "date": "2026-12-03 10:00 UTC", "seconds": 611, "loadavg_start": ["0.42", "0.80", "1.10"],
                    "loadavg_end": ["2.90", "2.70", "2.10"], "wrk": "wrk debian/4.1.0-3+b2 [epoll]",
                    "nginx": "nginx version: nginx/1.22.1",
                    "busiest_start": [{"pid": 812, "name": "swift-frontend", "cpu_percent": 97.0},
                                      {"pid": 77, "name": "python3", "cpu_percent": 3.0}]},
        "settings": {"rounds": 3, "duration": 5, "cold_samples": 200},
        "functions": ["init-cache", "rust-hello", "js-hello"], "js_runtime_bytes": 1_310_720,
        "deployed": {"faas": ["noop", "hello", "rust-hello", "js-hello"], "faas-quiet": ["noop", "hello"],
                     "faas-warning": ["noop", "hello"], "faas-pinned": ["noop", "hello"]},
        "in_process": {"sandbox": SAMPLE_SANDBOX, "scheduler": SAMPLE_SCHEDULER, "registry": SAMPLE_REGISTRY,
                       "async": SAMPLE_ASYNC},
        "peers": {"wasmtime_cold": {"samples_us": [410, 430, 450, 480, 900], "with_compile_us": [9100, 9300, 9800]},
                  "wasmtime_fib": {"fuel_off": [830, 840, 850], "fuel_on": [1030, 1040, 1060]},
                  "spawn": {"samples_us": [610, 640, 700, 760, 1500], "answer": "Hello, cvmfaas!\n"},
                  "native_fib": {"samples_us": [405, 411, 420], "result": 196418}},
        "compartment_memory": {f: {"compartments": 40, "pool": {"sealed": 40, "running": 0, "queued": 0}, "cvms": 40,
                                   "rss_before_kib": 96000, "rss_after_kib": round(96000 + per * 40),
                                   "kib_per_compartment": per, "linear_kib": linear, "answers": True}
                               for f, (per, linear) in memory.items()},
        "http": http,
        "async_http": {mode: {"rps": rate, "p50_us": p50, "p99_us": p50 * 3, "cpu_us": cpu, "rounds": [rate, rate, rate],
                              "statuses": {status: rate * 15}}
                       for mode, rate, p50, cpu, status in (("async", 4400, 6960, 300.0, "202"), ("sync", 29800, 888, 47.0, "200"))},
        "cold_http": {"noop": coldstart("noop", 380, 95, 160, 6, deploy=2300),
                      "hello": coldstart("hello", 3300, 2800, 190, 14, deploy=5200),
                      "init-cache": coldstart("init-cache", 420, 120, 170, 8),
                      "rust-hello": coldstart("rust-hello", 3900, 3400, 200, 18),
                      "js-hello": coldstart("js-hello", 8700, 8100, 1250, 1080),
                      "client_floor_us": spread(95, 400), "throughput_chart": os.path.join(folder, "throughput.png"),
                      "throughput": [{"concurrency": c, "rps": r, "latency_us": {"p99": p}}
                                     for c, r, p in ((1, 3553, 3560), (32, 21579, 7410), (256, 27411, 22120))]},
        "deploy_http": {"1": {"archive_bytes": 1090000, "median_us": 11920, "samples_us": [11900, 11920, 12000]},
                        "10": {"archive_bytes": 10530000, "median_us": 44020, "samples_us": [44000, 44020, 45000]}},
        "profile": {"hardware_counters": False,
                    **{f: {"dso": [[35.0, "[kernel.kallsyms]"], [23.0, "faas"], [20.0, "libswiftCore.so"],
                                   [12.0, "libc.so.6"], [8.0, "libsqlite3.so.0.8.6"]],
                           "symbol": [[9.2, "[k] finish_task_switch.isra.0"], [3.3, "[.] swift_retain"]],
                           "own": [[0.8, "[.] c_nio_llhttp__internal__run"]]} for f in ("noop", "hello")}},
        "gateway_rss_kib": 98304,
        "log_bytes": {"faas": 812_000_000, "faas-quiet": 2_100, "faas-warning": 300, "faas-pinned": 808_000_000},
    }
