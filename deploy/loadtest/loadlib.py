"""Shared parts of the cvmfaas load tests: gateway client, statistics, JSON lines, progress, plots.

Standard library only. The plots are drawn with gnuplot (Debian's gnuplot-nox), installed on
first use when the script may (root or passwordless sudo); --no-plot skips them.
"""
import http.client
import io
import ipaddress
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import urllib.parse

DEFAULT_GATEWAY = "http://127.0.0.1:8080"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


class LoadTestError(Exception):
    """A problem the user can act on; printed without a traceback."""


# ---- Gateway address ----------------------------------------------------------------------------

def resolve_gateway(explicit, default=DEFAULT_GATEWAY):
    """The gateway URL to use. Without an explicit --gateway only a loopback address is accepted,
    so a load test never hits another machine by accident (FAAS_GATEWAY alone is not enough)."""
    url = explicit or default
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http",) or not parts.hostname:
        raise LoadTestError(f"gateway must be an http://HOST:PORT URL, got {url!r}")
    if parts.path not in ("", "/"):
        raise LoadTestError(f"gateway URL must not have a path, got {url!r}")
    if explicit is None and not is_loopback(parts.hostname):
        raise LoadTestError(f"refusing non-loopback gateway {url} without an explicit --gateway")
    return url.rstrip("/")


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---- HTTP client --------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body, elapsed_us):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body
        self.elapsed_us = elapsed_us

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as error:
            raise LoadTestError(f"expected JSON, got {self.status} {self.body[:200]!r}: {error}")

    def error_text(self):
        try:
            error = json.loads(self.body)["error"]
            return f"{self.status} {error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            return f"{self.status} {self.body[:200]!r}"


class Gateway:
    """One keep-alive HTTP/1.1 connection to the gateway; reconnects after a failure."""

    def __init__(self, url, token=None, timeout=60.0):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.url = url
        self.token = token
        self.timeout = timeout
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        """Sends one request; returns a Response with the client-side time in microseconds
        (request written to last body byte read). Raises LoadTestError when the gateway is unreachable."""
        all_headers = {"Connection": "keep-alive"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            all_headers["Content-Type"] = "application/octet-stream"
        all_headers.update(headers or {})
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                try:
                    self.connection.connect()
                except OSError as error:
                    self.connection = None
                    raise LoadTestError(f"cannot connect to {self.url}: {error}") from None
                self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                start = time.perf_counter_ns()
                self.connection.request(method, path, body=body, headers=all_headers)
                reply = self.connection.getresponse()
                data = reply.read()
                elapsed = (time.perf_counter_ns() - start) // 1000
                headers = {k.lower(): v for k, v in reply.getheaders()}
                if reply.will_close:
                    self.close()
                return Response(reply.status, headers, data, elapsed)
            except (OSError, http.client.HTTPException) as error:
                self.close()
                # A kept-alive connection the server closed while idle: retry once on a fresh one.
                if attempt == 2 or isinstance(error, (ConnectionRefusedError, socket.timeout)):
                    raise LoadTestError(f"{method} {self.url}{path}: {error}") from None
        raise AssertionError("unreachable")

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# ---- Archives ------------------------------------------------------------------------------------

def example_archive(function):
    """Bytes of functions/build/FUNCTION.tar.gz, building it with functions/build.sh when needed."""
    path = os.path.join(REPO, "functions", "build", f"{function}.tar.gz")
    script = os.path.join(REPO, "functions", "build.sh")
    if os.path.exists(script) and os.path.isdir(os.path.join(REPO, "functions", function)):
        result = subprocess.run(["bash", script, function], capture_output=True, text=True)
        if result.returncode != 0:
            raise LoadTestError(f"functions/build.sh {function} failed:\n{result.stdout}{result.stderr}")
    if not os.path.exists(path):
        raise LoadTestError(f"no archive for {function!r} at {path}; pass --archive FILE")
    with open(path, "rb") as f:
        return f.read()


def rewrite_archive(archive, overrides):
    """A copy of a fn.tar.gz whose function.yaml has the given top-level keys replaced or added
    (e.g. {"name": "lt-hello", "warm": "0"}). Other entries are copied unchanged."""
    source = tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.USTAR_FORMAT) as target:
        found = False
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else None
            if member.name in ("function.yaml", "./function.yaml") and member.isfile():
                found = True
                data = rewrite_manifest(data.decode("utf-8"), overrides).encode("utf-8")
                member = tarfile.TarInfo("function.yaml")
                member.size = len(data)
                member.mode = 0o644
            elif member.isfile():
                member.size = len(data)
            target.addfile(member, io.BytesIO(data) if data is not None else None)
        if not found:
            raise LoadTestError("the archive has no function.yaml at its root")
    return out.getvalue()


def rewrite_manifest(text, overrides):
    """The manifest with each top-level key of `overrides` replaced (its indented block too) or added."""
    lines, dropping = [], False
    for line in text.splitlines():
        if line[:1] not in (" ", "\t", "#", ""):
            dropping = any(line.startswith(f"{key}:") for key in overrides)
        if not dropping:
            lines.append(line)
    for key, value in overrides.items():
        lines.append(f"{key}: {value}")
    return "\n".join(lines) + "\n"


# ---- Statistics -----------------------------------------------------------------------------------

def percentile(values, q):
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(values):
    """{count, p50, p90, p99, max, mean} of a list of numbers (None entries ignored)."""
    values = [v for v in values if v is not None]
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None, "mean": None}
    return {"count": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "max": max(values), "mean": round(sum(values) / len(values), 1)}


def format_us(value):
    if value is None:
        return "-"
    if value >= 1_000_000:
        return f"{value / 1e6:.2f}s"
    if value >= 1000:
        return f"{value / 1000:.2f}ms"
    return f"{value:.0f}us"


# ---- Output ----------------------------------------------------------------------------------------

class JSONLines:
    """Appends one JSON object per line, flushed at once so a stopped run keeps its samples."""

    def __init__(self, path):
        self.path = path
        self.file = open(path, "w", encoding="utf-8")

    def write(self, record):
        self.file.write(json.dumps(record, sort_keys=True) + "\n")
        self.file.flush()

    def close(self):
        self.file.close()


def read_json_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class Progress:
    """A one-line progress display on stderr (a plain line per update when not a terminal)."""

    def __init__(self, label, total, stream=sys.stderr):
        self.label, self.total, self.stream = label, total, stream
        self.tty = stream.isatty()
        self.last = 0.0
        self.done = 0
        self.shown = None

    def update(self, done, note=""):
        self.done = done
        now = time.monotonic()
        if not self.tty and done < self.total and now - self.last < 2.0:
            return
        self.last = now
        text = f"{self.label}: {done}/{self.total} {note}".rstrip()
        if not self.tty and text == self.shown:
            return  # finish() after a last update: the same line once is enough
        self.shown = text
        self.stream.write(("\r" + text.ljust(78)) if self.tty else text + "\n")
        self.stream.flush()

    def finish(self, note=""):
        self.update(self.total if self.done >= self.total else self.done, note)
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def output_directory(requested, kind):
    path = requested or os.path.join(HERE, "out", f"{kind}-{time.strftime('%Y%m%dT%H%M%S')}")
    os.makedirs(path, exist_ok=True)
    return path


# ---- Plotting ---------------------------------------------------------------------------------------

def ensure_gnuplot():
    """Path of gnuplot, installing Debian's gnuplot-nox on first use when allowed to."""
    found = shutil.which("gnuplot")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt:
        prefix = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
        if prefix is not None:
            print("plot: installing gnuplot-nox (first run)", file=sys.stderr)
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(prefix + [apt, "install", "-y", "-qq", "gnuplot-nox"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            found = shutil.which("gnuplot")
            if found:
                return found
    raise LoadTestError("gnuplot is needed for the chart: apt-get install gnuplot-nox (or pass --no-plot)")


def run_gnuplot(script, directory):
    gnuplot = ensure_gnuplot()
    path = os.path.join(directory, "plot.gp")
    with open(path, "w", encoding="utf-8") as f:
        f.write(script)
    result = subprocess.run([gnuplot, path], cwd=directory, capture_output=True, text=True)
    if result.returncode != 0:
        raise LoadTestError(f"gnuplot failed: {result.stderr.strip()}")


def write_cdf(path, values):
    """Writes 'value fraction' rows of the empirical CDF of values; returns how many."""
    ordered = sorted(v for v in values if v is not None)
    with open(path, "w", encoding="utf-8") as f:
        for i, v in enumerate(ordered, 1):
            f.write(f"{v} {i / len(ordered):.6f}\n")
    return len(ordered)


def check_png(path):
    with open(path, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            raise LoadTestError(f"{path} is not a PNG")
