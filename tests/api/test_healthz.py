"""The /healthz endpoint used by Docker and load balancers."""

import socket

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "in-process",
        "warnings": [],
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_database_is_down(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("api.site_views.connection.cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_says_redis_is_ok_when_it_answers(client, settings, redis_url):
    settings.CACHES = {**settings.CACHES, "default": _redis_cache(redis_url)}

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "warnings": []}


def test_healthz_is_200_degraded_when_redis_is_unreachable(client, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": _redis_cache(f"redis://127.0.0.1:{closed_port()}/0"),
    }

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unreachable",
        "warnings": [],
    }


def test_healthz_is_503_for_the_database_even_with_redis_down(client, settings, monkeypatch):
    settings.CACHES = {
        **settings.CACHES,
        "default": _redis_cache(f"redis://127.0.0.1:{closed_port()}/0"),
    }

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("api.site_views.connection.cursor", broken_cursor)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_cache(url):
    return {
        "BACKEND": "common.redis_cache.DegradingRedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
