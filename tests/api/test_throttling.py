"""Throttles: rates, Retry-After, whose bucket a request counts against, the shared cache, and
one limit across several gunicorn workers."""

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

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.throttling import parse_rate
from tests.factories import CategoryFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("60/min", (60, 60)),
        ("120/m", (120, 60)),
        ("20/h", (20, 3600)),
        ("20/hour", (20, 3600)),
        ("10/5min", (10, 300)),
        ("5/s", (5, 1)),
        ("1000/day", (1000, 86400)),
        ("3/2minutes", (3, 120)),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_rates_read_count_slash_period(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["60", "x/min", "60/fortnight", "-1/min", "1/0.5min"])
def test_a_malformed_rate_is_a_configuration_error(rate):
    with pytest.raises(ImproperlyConfigured, match="N/period"):
        parse_rate(rate)


def test_documented_defaults():
    assert django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": "60/min",
        "user": "120/min",
        "create": "20/h",
        "token": "10/5min",
        "usage": "30/min",
    }
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


@pytest.mark.django_db
def test_the_request_over_the_anonymous_rate_is_429_with_retry_after(rates):
    rates(anon="3/min")
    client = APIClient()

    codes = [client.get("/api/v4/categories/").status_code for _ in range(4)]
    refused = client.get("/api/v4/categories/")

    assert codes == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"] == "application/json"
    assert "throttled" in refused.json()["detail"]


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_reset_the_bucket(rates):
    rates(anon="2/min")
    client = APIClient()

    codes = [
        client.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]

    assert codes == [200, 200, 429, 429]


@pytest.mark.django_db
def test_with_a_trusted_proxy_the_address_it_appended_is_the_client(rates, settings):
    rates(anon="1/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()

    def get(forwarded_for):
        return client.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert get("203.0.113.1") == 200
    assert get("203.0.113.2") == 200
    # A client's own forged entries come first; the proxy appends the real address last.
    assert get("198.51.100.7, 203.0.113.1") == 429


@pytest.mark.django_db
def test_users_are_counted_per_user_and_apart_from_anonymous_clients(rates):
    rates(user="2/min", anon="1/min")
    clients = {}
    for name in ("alice", "bob"):
        token = Token.objects.create(user=UserFactory(username=name))
        clients[name] = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    alice_codes = [clients["alice"].get("/api/v4/grids/").status_code for _ in range(3)]
    bob_code = clients["bob"].get("/api/v4/grids/").status_code
    anonymous_code = APIClient().get("/api/v4/grids/").status_code

    assert alice_codes == [200, 200, 429]
    assert bob_code == anonymous_code == 200


@pytest.mark.django_db
def test_a_cached_response_still_counts_against_the_anonymous_rate(rates):
    rates(anon="2/min")
    client = APIClient()

    codes = [client.get("/api/v4/grids/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]


@pytest.mark.django_db
def test_creating_packages_and_grids_has_its_own_hourly_budget(rates):
    rates(create="2/h")
    CategoryFactory(slug="apps")
    user = UserFactory(username="maker")
    client = APIClient()
    client.force_authenticate(user)

    package = client.post("/api/v4/packages/", {"title": "a", "category": "apps"}, format="json")
    grid = client.post("/api/v4/grids/", {"title": "g"}, format="json")
    third = client.post("/api/v4/packages/", {"title": "b", "category": "apps"}, format="json")
    edit = client.patch("/api/v4/packages/a/", {"title": "A"}, format="json")

    assert (package.status_code, grid.status_code, third.status_code) == (201, 201, 429)
    assert 3500 <= int(third["Retry-After"]) <= 3600
    assert edit.status_code == 200


@pytest.mark.django_db
def test_the_token_endpoint_is_throttled_per_address_whatever_the_username(rates):
    rates(token="2/5min")
    UserFactory(username="alice")
    client = APIClient()

    codes = [
        client.post(
            "/api/v4/auth/token/", {"username": name, "password": PASSWORD}, format="json"
        ).status_code
        for name in ("alice", "mallory", "alice")
    ]
    refused = client.post(
        "/api/v4/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert codes == [200, 400, 429]
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert Token.objects.count() == 1


@pytest.mark.django_db
def test_login_form_attempts_share_the_token_budget(rates):
    rates(token="2/5min")
    UserFactory(username="alice")
    client = APIClient()

    api = client.post(
        "/api/v4/auth/token/", {"username": "alice", "password": "wrong"}, format="json"
    )
    form = client.post("/api/v4/api-auth/login/", {"username": "alice", "password": "wrong"})
    refused = client.post("/api/v4/api-auth/login/", {"username": "alice", "password": PASSWORD})

    assert (api.status_code, form.status_code, refused.status_code) == (400, 200, 429)
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["locmem", "database"])
def test_odd_forwarded_addresses_make_clean_cache_keys(rates, settings, backend):
    rates(anon="1/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    if backend == "database":
        settings.CACHES = {
            **settings.CACHES,
            "throttle": {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "api_throttle_cache",
            },
        }
    client = APIClient()
    odd = "x" * 300 + " \u00e9\u202e"

    first = client.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=odd)
    second = client.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=odd)

    assert (first.status_code, second.status_code) == (200, 429)


@pytest.mark.django_db
def test_a_window_reopens_after_its_period(rates):
    rates(anon="1/s")
    client = APIClient()

    first = client.get("/api/v4/categories/").status_code
    second = client.get("/api/v4/categories/").status_code
    time.sleep(1.1)
    later = client.get("/api/v4/categories/").status_code

    assert (first, second, later) == (200, 429, 200)


@pytest.mark.django_db
def test_the_database_cache_fallback_counts_too(rates, settings):
    rates(anon="2/min")
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "api_throttle_cache",
            "TIMEOUT": 86400,
        },
    }
    client = APIClient()

    codes = [client.get("/api/v4/categories/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert caches["throttle"].get("anon:127.0.0.1:start") is not None


@pytest.mark.django_db
def test_a_lost_throttle_cache_counts_in_process_memory_and_warns_once(rates, settings, caplog):
    caplog.set_level(logging.WARNING, logger="djangopackages.redis_cache")
    rates(anon="2/min")
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


class _WindowOpenedByAnotherWorker(LocMemCache):
    """A cache where another worker adds the window's counter between our `incr` and `add`."""

    def add(self, key, value, timeout=None, version=None):
        if key.endswith(":start"):
            return super().add(key, value, timeout, version)
        super().add(key, 1, timeout, version)  # the other worker's first request
        return super().add(key, value, timeout, version)


def test_two_workers_opening_a_window_together_both_count():
    from api.throttling import _hit

    cache = _WindowOpenedByAnotherWorker("window-race", {})

    count, _ = _hit(cache, "anon:192.0.2.1", 60)

    assert count == 2


# --- several workers, one limit ------------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend",
    ["redis"],
)
def test_two_gunicorn_workers_share_one_anonymous_limit(tmp_path, backend, redis_url):
    """The 6th anonymous request in a minute is a 429 (THROTTLE_ANON=5/min), whichever worker.

    Redis takes a concurrent burst (its counter is atomic). Without Redis each worker counts
    on its own (documented), so there is no shared limit to test.
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
        "THROTTLE_ANON": "5/min",
        "API_CACHE_SECONDS": "0",
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
            str(Path(sys.executable).parent / "gunicorn"),
            "djangopackages.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(p)s %(s)s",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api/v4/categories/"
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/healthz")
        with ThreadPoolExecutor(max_workers=4 if backend == "redis" else 1) as pool:
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
    # Both workers refused requests: each saw the count the other had made.
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


def test_redis_window_counts_in_one_script_call(redis_url):
    import uuid

    from api.throttling import _hit
    from djangopackages.redis_cache import PooledRedisCache

    cache = PooledRedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    before = time.time()
    first = _hit(cache, "anon:1.2.3.4", 60)
    second = _hit(cache, "anon:1.2.3.4", 60)
    other = _hit(cache, "anon:5.6.7.8", 60)
    assert [first[0], second[0], other[0]] == [1, 2, 1]
    assert first[1] == second[1]
    assert before + 59 <= first[1] <= time.time() + 60


def test_every_throttle_of_a_request_is_counted_in_one_redis_round_trip(
    rates, monkeypatch, redis_url
):
    from types import SimpleNamespace

    from redis.connection import AbstractConnection

    from api import throttling
    from api.throttling import CreateThrottle, UserThrottle, count_all
    from djangopackages.redis_cache import PooledRedisCache

    rates(user="5/min", create="1/h")
    cache = PooledRedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    monkeypatch.setattr(throttling, "caches", {throttling.CACHE_ALIAS: cache})
    throttling._hit(cache, "warm-up", 60)  # the script is loaded (a new Redis knows none)
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

    assert (first, second) == ([True, True], [True, False])
    assert calls.count("EVALSHA") == 2
    assert 3500 <= second_throttles[1].wait() <= 3600
