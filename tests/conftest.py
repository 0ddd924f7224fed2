"""Shared fixtures, and a guard that fails any test opening a socket beyond loopback."""

import ipaddress
import socket

import pytest

_real_connect = socket.socket.connect


def _is_loopback(address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
        raise RuntimeError(f"tests must not touch the network (tried {address!r})")
    return _real_connect(sock, address)


def pytest_runtest_setup(item):
    """`@pytest.mark.postgres` tests are skipped, with that reason, on any other database."""
    if item.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """The manifest storage needs `collectstatic`; tests render pages without running it."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_throttle_counts(settings):
    """Throttle buckets in this process's memory, empty for each test: one test's requests must
    not use up another's budget. What a process learnt of its peers, of wrong tokens and of
    its health is forgotten too. Tests of the shared buckets run servers of their own."""
    from api.authentication import wrong_tokens
    from api.client_address import proxy_watch
    from api.rate_limits import memory_buckets
    from djangopackages.views import health_answers

    settings.CACHES = {
        **settings.CACHES,
        "throttle": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    for state in (memory_buckets, wrong_tokens, proxy_watch, health_answers):
        state.reset()


@pytest.fixture(autouse=True)
def _redis_reachable_again():
    """Each test starts believing Redis answers (an outage another test staged is over)."""
    from djangopackages.redis_cache import outage

    outage.reset()
    yield
    outage.reset()


@pytest.fixture(scope="session")
def redis_url():
    """A Redis of this test run's own (tests/redis_server.py); the test is skipped without one."""
    from tests.redis_server import private_redis

    with private_redis() as url:
        if url is None:
            pytest.skip("needs redis-server on PATH (or TEST_REDIS_URL naming a test-only Redis)")
        yield url


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def scratch_project(tmp_path):
    """A database of the test's own, migrated in a subprocess (tests/scratch_project.py)."""
    from tests.scratch_project import ScratchProject

    project = ScratchProject(tmp_path)
    yield project
    project.close()
