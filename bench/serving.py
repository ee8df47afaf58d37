"""Serving the portal with one gunicorn worker and timing requests, one client at a time."""

import contextlib
import socket
import statistics
import subprocess
import sys
import time
from http.client import HTTPConnection

from bench.corpus import ROOT


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(connection, path):
    connection.request("GET", path, headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:300]!r}")
    return body


def measure(port, path, seconds):
    """Requests per second and p95 (ms) of ``path``, one request at a time for ``seconds``.
    A ``{n}`` in ``path`` becomes the request's number, so each request asks something new."""
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    for i in range(3):
        fetch(connection, path.replace("{n}", f"w{i}"))
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds:
        t = time.perf_counter()
        fetch(connection, path.replace("{n}", str(len(times))))
        times.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    return len(times) / elapsed, p95 * 1000


def wait_for(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


@contextlib.contextmanager
def serve(app, env):
    """Serve ``app`` (a WSGI path) with one sync gunicorn worker on a free port; yields the port."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", app, "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command + ["--log-level", "warning"], cwd=ROOT, env=env)
    try:
        wait_for(port)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
