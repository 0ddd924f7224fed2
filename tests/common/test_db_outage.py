"""A database outage under load: fast JSON 503s, then full recovery once it is back.

gunicorn serves the project against PostgreSQL through a TCP relay on 127.0.0.1 that the test
cuts and restores, which from the application's side is the same as PostgreSQL stopping and
starting (connections reset, new ones refused), without touching the server other tests use.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.checksums import catalogue_snapshot
from tests.factories import ElementFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class Relay:
    """A TCP relay that can be cut (listener closed, live connections reset) and restored."""

    def __init__(self, target):
        self.target = target
        self.port = _free_port()
        self._sockets = []
        self._lock = threading.Lock()
        self._listener = None

    def start(self):
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self):
        # shutdown() wakes the accept() and recv() calls blocked in relay threads; close() alone
        # would leave the kernel sockets open until they return.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
            self._sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.close()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    return status, body, time.monotonic() - started


def start_gunicorn(database_url, *, threads=4, **env):
    """gunicorn as in production (DEBUG off, 2 workers) on a free port, against `database_url`;
    returns its base URL and process once /healthz answers 200."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGOPACKAGES_DOTENV": "0",
        "SECRET_KEY": "outage-test-secret-key-that-is-long-enough-0123456789",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "THROTTLE_ANON": "1000000/min",
        **env,
    }
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "djangopackages.wsgi", "--bind"]
    command += [f"127.0.0.1:{port}", "--workers", "2", "--threads", str(threads)]
    command += ["--timeout", "30", "--graceful-timeout", "5"]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _get(f"{base}/healthz")[0] == 200:
                return base, server
        except OSError:
            time.sleep(0.2)
    server.kill()
    pytest.fail("gunicorn did not start: " + server.stderr.read().decode()[-2000:])


def relayed_database_url(port):
    """The test database's URL, through a relay listening on `port` of 127.0.0.1."""
    settings = connection.settings_dict
    return f"postgres://{settings['USER'] or 'postgres'}@127.0.0.1:{port}/{settings['NAME']}"


@pytest.fixture
def served_through_relay():
    if connection.vendor != "postgresql":
        pytest.skip("the outage test needs PostgreSQL (DATABASE_URL=postgres://...)")
    settings = connection.settings_dict
    relay = Relay((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    relay.start()
    base, server = start_gunicorn(relayed_database_url(relay.port))
    yield base, relay
    server.terminate()
    server.wait(timeout=10)
    relay.cut()


class Load:
    """Background clients requesting API URLs until stopped; every status is recorded."""

    def __init__(self, urls, clients=4):
        self.urls = urls
        self.statuses = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(clients)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, n):
        i = n
        while not self._stop.is_set():
            self.statuses.append(_get(self.urls[i % len(self.urls)])[0])
            i += 1


def test_outage_under_load_gives_fast_json_503s_and_recovers(served_through_relay):
    base, relay = served_through_relay
    ElementFactory()
    before = catalogue_snapshot()
    urls = [f"{base}/healthz", f"{base}/api/v4/categories/"]
    for url in urls:
        assert _get(url)[0] == 200

    with Load([f"{base}/api/v4/categories/", f"{base}/api/v4/packages/?limit=5"]) as load:
        time.sleep(1)
        relay.cut()
        during = [_get(url) for _ in range(5) for url in urls]
        for status, body, seconds in during:
            assert status == 503, body
            assert "detail" in json.loads(body) or json.loads(body)["status"] == "unavailable"
            assert seconds < 6, f"a 503 took {seconds:.1f}s"

        relay.start()
        recovered_at = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if all(_get(url)[0] == 200 for url in urls):
                recovered_at = time.monotonic()
                break
            time.sleep(0.2)
        assert recovered_at is not None, "did not recover within 15 s of the database coming back"
        settled = len(load.statuses)
        time.sleep(2)

    assert set(load.statuses) <= {200, 503}, sorted(set(load.statuses))
    assert 503 in load.statuses
    assert set(load.statuses[settled + 8 :]) == {200}, "errors after recovery"
    after = [_get(url)[0] for _ in range(20) for url in urls]
    assert after == [200] * len(after)
    assert catalogue_snapshot() == before
