"""A stalled database (connections open, nothing answering) under gunicorn: every request still
gets a JSON 503 within a bound, the workers survive (gunicorn kills none), and the site serves
again once the database answers.

A TCP relay on 127.0.0.1 sits between gunicorn and PostgreSQL; `stall()` keeps every connection
open but forwards nothing either way and accepts new connections without forwarding them, which
from the application's side is a PostgreSQL (or a proxy in front of it) that stopped answering.
"""

import contextlib
import json
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.common.test_db_outage import relayed_database_url, start_gunicorn
from tests.factories import CategoryFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STATEMENT_TIMEOUT = 1  # seconds: the client then waits STATEMENT_TIMEOUT + 5 for an answer
CONNECT_TIMEOUT = 2
BOUND = 12  # seconds within which a stalled request must have its 503


class StallingRelay:
    """A TCP relay that forwards until `stall()`, then holds everything until `resume()`."""

    def __init__(self, target):
        self.target = target
        self.forwarding = threading.Event()
        self.forwarding.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def stall(self):
        self.forwarding.clear()

    def resume(self):
        self.forwarding.set()

    def close(self):
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while True:
                self.forwarding.wait()
                data = source.recv(65536)
                if not data:
                    return
                self.forwarding.wait()  # read while forwarding, then stalled: hold it
                sink.sendall(data)
        except OSError:
            return


def _get(url, timeout=40):
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
    except (TimeoutError, urllib.error.URLError) as exc:
        status, body = None, repr(exc).encode()
    return status, body, time.monotonic() - started


@pytest.fixture
def served_through_stalling_relay():
    settings = connection.settings_dict
    relay = StallingRelay((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    base, server = start_gunicorn(
        relayed_database_url(relay.port),
        threads=2,
        DB_CONN_MAX_AGE="60",  # as in production: the stall hits connections already open
        DB_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT),
        DB_STATEMENT_TIMEOUT=str(STATEMENT_TIMEOUT),
    )
    yield base, relay, server
    relay.resume()
    server.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(timeout=15)
    server.kill()
    relay.close()


def test_a_stalled_database_gives_json_503s_within_a_bound_and_no_worker_dies(
    served_through_stalling_relay,
):
    base, relay, server = served_through_stalling_relay
    category = CategoryFactory()
    urls = [f"{base}/api/v4/categories/", f"{base}/healthz", f"{base}/api/v4/packages/?limit=5"]
    for _ in range(4):  # every worker thread holds an open connection
        assert [_get(url)[0] for url in urls] == [200, 200, 200]

    relay.stall()
    # Answers a worker already gave, and a list's order, it may give again from memory while no
    # change reaches it (api/read_cache.py); these need the database: a detail not asked before,
    # the health check, a filtered list.
    urls = [
        f"{base}/api/v4/categories/{category.slug}/",
        urls[1],
        f"{base}/api/v4/packages/?limit=6&category={category.slug}",
    ]
    answers = {}

    def ask(url):
        answers[url] = _get(url)

    threads = [threading.Thread(target=ask, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    for url, (status, body, seconds) in answers.items():
        assert status == 503, (url, body)
        # A thread holding a connection waits past the bound on its first query ("did not
        # answer in time": the health check asks nothing of an idle connection); a thread
        # without one times out connecting ("unavailable"). Both are the database's 503.
        answer = json.loads(body)
        if "/api/" in url:
            assert answer["detail"] in {
                "The database did not answer in time; try again shortly.",
                "The database is unavailable; try again shortly.",
            }, body
        else:
            assert answer["status"] == "unavailable", body
        assert seconds < BOUND, f"{url}: the 503 took {seconds:.1f}s"

    relay.resume()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if all(_get(url)[0] == 200 for url in urls):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the site did not serve again once the database answered")
    server.terminate()
    _, stderr = server.communicate(timeout=20)
    assert not re.search(rb"WORKER TIMEOUT|Worker \(pid:\d+\) was sent", stderr), stderr[-3000:]
