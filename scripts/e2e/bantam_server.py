"""Starting and stopping `bantam serve` for the end-to-end and load scripts (Python 3 standard library)."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY_MODEL = os.path.join(REPO, "Tests", "Fixtures", "flux-tiny", "diffusers")


class BantamServer:
    """`bantam serve` on a free port, with a models folder holding the tiny model (as flux-tiny) and a
    fresh data folder (or a given one, to restart on the same history)."""

    def __init__(self, binary, fake=False, data=None, extra=()):
        self.binary = os.path.abspath(binary)
        self.fake = fake
        self.root = tempfile.mkdtemp(prefix="bantam-e2e-")
        self.models = os.path.join(self.root, "models")
        os.makedirs(self.models)
        os.symlink(TINY_MODEL, os.path.join(self.models, "flux-tiny"))
        self.data = data or os.path.join(self.root, "data")
        self.extra = list(extra)
        self.process = None
        self.port = None
        self.log_path = os.path.join(self.root, "server.log")

    def start(self, timeout=60):
        args = [self.binary, "serve", "--models", self.models, "--data", self.data, "--port", "0"] + self.extra
        if self.fake:
            args.append("--fake-generator")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        deadline = time.time() + timeout
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            print(f"   server: {line}")
            match = re.search(r"Bantam console: http://127\.0\.0\.1:(\d+)/", line)
            if match:
                self.port = int(match.group(1))
                break
            if time.time() > deadline:
                break
        if self.port is None:
            raise RuntimeError(f"bantam serve did not start; see {self.log_path}")
        # Keep draining stdout so the server never blocks on a full pipe.
        import threading
        threading.Thread(target=lambda: [None for _ in self.process.stdout], daemon=True).start()
        self.wait_healthy(timeout)
        return self

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.get("/api/v1/health")["status"] == "ok":
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise RuntimeError("bantam serve is not healthy")

    def request(self, method, path, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                raw = response.read()
                return response.status, (json.loads(raw) if raw and response.headers.get_content_type() == "application/json" else raw)
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, (json.loads(raw) if raw else None)

    def get(self, path):
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body}")
        return body

    def kill(self):
        """SIGKILL: a crash, no chance to record anything."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit status."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise RuntimeError(f"bantam serve did not stop within {timeout} s after SIGTERM")
        return self.process.returncode if self.process else None
