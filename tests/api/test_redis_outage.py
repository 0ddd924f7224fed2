"""Redis is an accelerator: pointed at a closed port, the API reads and writes as usual
(uncached, throttles per process), warns at most once a minute, and /healthz says so."""

import logging
import socket

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from common import redis_cache
from tests.factories import CategoryFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    unreachable = {
        "BACKEND": "common.redis_cache.DegradingRedisCache",
        "LOCATION": f"redis://127.0.0.1:{_closed_port()}/5",
        "KEY_PREFIX": "outage-test",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    settings.CACHES = {
        "default": unreachable,
        "throttle": {**unreachable, "KEY_PREFIX": "outage-test:throttle"},
    }


@pytest.mark.usefixtures("redis_down")
def test_reads_writes_and_healthz_work_with_redis_unreachable(caplog):
    caplog.set_level(logging.WARNING, logger="common.redis_cache")
    CategoryFactory(slug="apps")
    PackageFactory(slug="django-foo", title="django-foo")
    token = Token.objects.create(user=UserFactory())
    writer = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    reader = APIClient()

    listed = reader.get("/api/v4/packages/")
    detail = reader.get("/api/v4/packages/django-foo/")
    created = writer.post("/api/v4/packages/", {"title": "new", "category": "apps"}, format="json")
    edited = writer.patch("/api/v4/packages/new/", {"title": "Renamed"}, format="json")
    reread = reader.get("/api/v4/packages/new/")
    searched = reader.get("/api/v4/search/", {"q": "renamed"})
    health = reader.get("/healthz")

    assert (listed.status_code, detail.status_code) == (200, 200)
    assert listed.json()["count"] == 1
    assert (created.status_code, edited.status_code) == (201, 200)
    assert reread.json()["title"] == "Renamed"
    assert [hit["slug"] for hit in searched.json()] == ["new"]
    assert (health.status_code, health.json()["cache"]) == (200, "unreachable")
    assert caplog.text.count("Redis unreachable") == 1


@pytest.mark.usefixtures("redis_down")
def test_throttles_count_per_process_while_redis_is_unreachable(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "2/min",
        },
    }
    client = APIClient(REMOTE_ADDR="192.0.2.44")

    codes = [client.get("/api/v4/categories/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]


def test_the_outage_warning_goes_out_at_most_once_a_minute(caplog, monkeypatch):
    caplog.set_level(logging.WARNING, logger="common.redis_cache")
    clock = [1000.0]
    monkeypatch.setattr(redis_cache.time, "monotonic", lambda: clock[0])
    outage = redis_cache.Outage()

    for step in range(12):  # one failure every 10 s for two minutes
        clock[0] = 1000.0 + 10 * step
        outage.failed(ConnectionError("refused"))
    warnings = caplog.text.count("Redis unreachable")

    assert warnings == 2
    assert outage.is_down()
    clock[0] += redis_cache.RETRY_SECONDS + 1
    assert not outage.is_down()


def test_another_caches_setting_is_a_redis_this_process_has_not_seen_fail(settings):
    redis_cache.outage().failed(ConnectionError("refused"))
    assert redis_cache.outage().is_down()

    settings.CACHES = {**settings.CACHES}

    assert not redis_cache.outage().is_down()
    assert redis_cache.outage().episodes == 0


@pytest.mark.usefixtures("redis_down")
def test_a_known_outage_makes_no_connection_attempt(monkeypatch):
    APIClient().get("/api/v4/categories/")
    attempts = []
    real_connect = socket.socket.connect

    def counting_connect(sock, address):
        attempts.append(address)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counting_connect)
    response = APIClient().get("/api/v4/categories/")

    assert response.status_code == 200
    assert attempts == []
