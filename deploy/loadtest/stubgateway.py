"""A loopback stand-in for the gateway's HTTP API, used only by the load tests' --self-test.

It answers the handful of SPEC paths the load tests use (POST /functions, /invoke/NAME,
GET /activations/ID, DELETE /functions/NAME, GET /functions/NAME) with the SPEC's shapes and
headers, so the scripts' client paths, bookkeeping and output can be checked before a real
gateway runs. It executes nothing: an invocation answers the body back after a short sleep
(longer when "cold"). Cold/warm follows the manifest: warm: 0 with keep_alive: 0s is always
cold; otherwise the first invocation of a version is cold and later ones warm.
"""
import io
import json
import re
import socket
import sys
import tarfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubState:
    def __init__(self):
        self.lock = threading.Lock()
        self.functions = {}  # name -> {"version": n, "manifest": text, "warm": set(versions)}
        self.activations = {}


def manifest_value(text, key):
    match = re.search(rf"^{key}:\s*(\S+)", text, re.M)
    return match.group(1) if match else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stub-gateway"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message):
        self.reply(status, {"error": {"code": code, "message": message}})

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self):
        self.route("POST")

    def do_GET(self):
        self.route("GET")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        state = self.server.state
        path, _, query = self.path.partition("?")
        body = self.body()
        if method == "GET" and path == "/healthz":
            return self.reply(200, b"ok", content_type="text/plain")
        if method == "POST" and path == "/functions":
            try:
                archive = tarfile.open(fileobj=io.BytesIO(body), mode="r:gz")
                manifest = archive.extractfile("function.yaml").read().decode()
            except (tarfile.TarError, KeyError, OSError) as error:
                return self.error(400, "invalid_archive", str(error))
            name = manifest_value(manifest, "name")
            with state.lock:
                entry = state.functions.setdefault(name, {"version": 0, "manifests": {}, "started": set()})
                entry["version"] += 1
                entry["manifests"][entry["version"]] = manifest
                version = entry["version"]
            return self.reply(201, {"name": name, "version": version, "digest": "sha256:0", "size": len(body),
                                    "compressed_size": len(body)})
        match = re.fullmatch(r"/invoke/([a-z][a-z0-9-]*)(/.*)?", path)
        if match:
            name = match.group(1)
            pinned = re.search(r"(?:^|&)version=(\d+)", query)
            with state.lock:
                entry = state.functions.get(name)
                if entry is None:
                    return self.error(404, "not_found", f"no function {name}")
                version = int(pinned.group(1)) if pinned else entry["version"]
                manifest = entry["manifests"].get(version)
                if manifest is None:
                    return self.error(404, "not_found", f"no version {version}")
                scale_to_zero = manifest_value(manifest, "warm") == "0" and manifest_value(manifest, "keep_alive") == "0s"
                cold = scale_to_zero or version not in entry["started"]
                entry["started"].add(version)
                activation = uuid.uuid4().hex
            time.sleep(0.002 if cold else 0.0002)
            duration = 2000 if cold else 200
            with state.lock:
                state.activations[activation] = {"id": activation, "function": name, "version": version,
                                                 "status": "succeeded", "start": "cold" if cold else "warm",
                                                 "queue_us": 5, "init_us": 1500 if cold else 0, "run_us": 150}
            return self.reply(200, body, {"X-Faas-Activation": activation, "X-Faas-Start": "cold" if cold else "warm",
                                          "X-Faas-Duration-Us": str(duration)}, "application/octet-stream")
        match = re.fullmatch(r"/activations/([0-9a-f]+)", path)
        if method == "GET" and match:
            with state.lock:
                record = state.activations.get(match.group(1))
            return self.reply(200, record) if record else self.error(404, "not_found", "no such activation")
        match = re.fullmatch(r"/functions/([a-z][a-z0-9-]*)", path)
        if match:
            with state.lock:
                entry = state.functions.get(match.group(1))
                if entry is not None and method == "DELETE":
                    del state.functions[match.group(1)]
            if entry is None:
                return self.error(404, "not_found", "no such function")
            if method == "DELETE":
                return self.reply(204, b"", content_type="text/plain")
            return self.reply(200, {"name": match.group(1), "version": entry["version"]})
        return self.error(404, "not_found", f"no route {method} {path}")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Load generators drop their connections mid-request when a run ends: not an error here.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class StubGateway:
    """Runs the stub on 127.0.0.1 with a free port until close()."""

    def __init__(self):
        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.state = StubState()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
