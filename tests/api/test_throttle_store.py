"""Where the buckets live: Redis (one script call charges every bucket of a request, shared by
every gunicorn worker), this process's memory without Redis, and memory again while Redis is
unreachable."""

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext
from redis.connection import AbstractConnection
from rest_framework.test import APIClient

from api import rate_limits
from api.rate_limits import Charge, MemoryBuckets, Policy
from api.throttling import CreateThrottle, UserThrottle, count_all

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_buckets(settings, redis_url):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "common.redis_cache.DegradingRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        },
    }


@pytest.mark.usefixtures("redis_buckets")
def test_redis_buckets_allow_the_burst_then_refuse_without_spending():
    policy = Policy(burst=3, per_second=0.01)  # a token every 100 s
    alice = Charge("anon", "anon:192.0.2.1", policy)
    bob = Charge("anon", "anon:192.0.2.2", policy)

    alice_outcomes = [rate_limits.charge([alice])[0] for _ in range(5)]
    bob_outcome = rate_limits.charge([bob])[0]

    assert [o.allowed for o in alice_outcomes] == [True, True, True, False, False]
    assert [o.remaining for o in alice_outcomes] == [2, 1, 0, 0, 0]
    assert 99 < alice_outcomes[-1].retry_after <= 100
    assert 299 < alice_outcomes[-1].full_in <= 300
    assert (bob_outcome.allowed, bob_outcome.remaining) == (True, 2)


@pytest.mark.usefixtures("redis_buckets")
def test_redis_charges_every_bucket_of_a_request_or_none():
    roomy = Charge("user", "user:7", Policy(burst=10, per_second=0.01))
    tight = Charge("create", "create:7", Policy(burst=1, per_second=0.001))

    first = rate_limits.charge([roomy, tight])
    second = rate_limits.charge([roomy, tight])

    assert [o.allowed for o in first + second] == [True, True, False, False]
    assert second[0].remaining == 9  # the refused request spent nothing from the roomy bucket


def test_memory_buckets_keep_the_most_recently_used():
    buckets = MemoryBuckets(capacity=2)
    policy = Policy(burst=1, per_second=0.001)
    charges = [Charge("anon", f"anon:{n}", policy) for n in range(3)]

    for charge in charges:
        buckets.charge([charge])

    assert list(buckets.full_at) == ["anon:1", "anon:2"]
    assert buckets.charge([charges[0]])[0].allowed  # forgotten: a full bucket again


def test_the_process_buckets_are_made_anew_when_the_throttle_settings_change(settings):
    spent = [Charge("anon", "anon:198.51.100.7", Policy(burst=1, per_second=0.001))]
    assert rate_limits.charge(spent)[0].allowed
    assert not rate_limits.charge(spent)[0].allowed

    settings.CACHES = {**settings.CACHES}  # a throttle cache stated anew: buckets of its own

    assert rate_limits.charge(spent)[0].allowed


@pytest.mark.django_db
def test_the_health_probe_budget_is_made_anew_when_the_cache_settings_change(settings):
    client = APIClient()
    for _ in range(30):  # the burst of probes spent: the last answer is given again
        client.get("/healthz")
    settings.CACHES = {**settings.CACHES}

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/healthz").status_code == 200
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 1"]


@pytest.mark.usefixtures("redis_buckets")
def test_every_throttle_of_a_request_is_charged_in_one_redis_round_trip(rates, monkeypatch):
    rates(user="1/min burst=5", create="1/h")
    rate_limits.charge([Charge("anon", "warm-up", Policy(1, 1.0))])  # the script is loaded
    calls = []
    send = AbstractConnection.send_command
    monkeypatch.setattr(
        AbstractConnection,
        "send_command",
        lambda self, *a, **k: calls.append(a[0]) or send(self, *a, **k),
    )
    user = SimpleNamespace(is_authenticated=True, pk=uuid.uuid4().int % 10**9)
    request = SimpleNamespace(user=user, method="POST", META={"REMOTE_ADDR": "192.0.2.7"})

    first = count_all(request, None, [UserThrottle(), CreateThrottle()])
    second_throttles = [UserThrottle(), CreateThrottle()]
    second = count_all(request, None, second_throttles)

    assert (first, second) == ([True, True], [False, False])
    assert calls == ["EVALSHA", "EVALSHA"]
    assert 3595 <= second_throttles[1].wait() <= 3600


@pytest.mark.django_db
def test_a_lost_redis_counts_in_process_memory_and_warns_once(rates, settings, caplog):
    caplog.set_level(logging.WARNING, logger="common.redis_cache")
    rates(anon="1/min burst=2")
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_free_port()}/0",
        },
    }
    client = APIClient()

    codes = [client.get(f"/api/v4/categories/?n={n}").status_code for n in range(4)]

    assert codes == [200, 200, 429, 429]
    assert caplog.text.count("Redis unreachable") == 1


# --- several workers, one budget ------------------------------------------------------------


@pytest.mark.slow
def test_two_gunicorn_workers_share_one_anonymous_budget(tmp_path, redis_url):
    """The 6th anonymous request is a 429 (THROTTLE_ANON=1/min burst=5), whichever worker.

    Redis takes a concurrent burst (the script is atomic). Without Redis each worker counts
    on its own (documented), so there is no shared budget to test.
    """
    port = _free_port()
    env = {
        **os.environ,
        "DJANGOPACKAGES_DOTENV": "0",
        "DEBUG": "0",
        "SECRET_KEY": "throttle-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}",
        "THROTTLE_ANON": "1/min burst=5",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    log = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            *(str(Path(sys.executable).parent / "gunicorn"), "djangopackages.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "2"),
            *("--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v4/categories/"
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/healthz")
        with ThreadPoolExecutor(max_workers=4) as pool:
            responses = list(pool.map(lambda _: _get(url), range(20)))
        # An idle worker tends to win every accept(); keeping one busy with a half-sent
        # request makes the other one answer, until both have been seen refusing.
        for _ in range(10):
            if len(_pids_by_status(log).get("429", ())) == 2:
                break
            with _busy_worker(port):
                responses.append(_get(url))
    finally:
        server.terminate()
        server.wait(timeout=10)

    codes = [r.status_code for r in responses]
    assert codes.count(200) == 5, codes
    assert codes.count(429) == len(codes) - 5, codes
    assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in responses if r.status_code == 429)
    # Both workers refused requests: each saw the tokens the other had taken.
    served_by = _pids_by_status(log)
    assert len(served_by["429"]) == 2, served_by


def _pids_by_status(log):
    served_by = {}
    for line in log.read_text().splitlines():
        pid, code = line.split()
        served_by.setdefault(code, set()).add(pid)
    return served_by


@contextlib.contextmanager
def _busy_worker(port):
    """Occupy one sync worker with a request whose headers are not finished yet."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.2)
        yield
        sock.sendall(b"Connection: close\r\n\r\n")
        while sock.recv(65536):
            pass
    finally:
        sock.close()


def _get(url):
    return requests.get(url, headers={"Connection": "close"}, timeout=10)


def _wait_until_serving(url):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _get(url).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start serving")
