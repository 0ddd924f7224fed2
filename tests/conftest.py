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
def _caches_of_its_own(settings):
    """Each test states its caches (the throttle buckets in this process's memory), so what a
    process keeps for them is made anew for it through `setting_changed`: one test's requests
    do not use up another's budget, and what a process learnt of Redis's and the database's
    health is forgotten. Tests of the shared buckets run servers of their own. No read answers
    are kept between requests (api/read_cache.py) unless a test turns that on and says so."""
    settings.API_READ_CACHE_BYTES = 0
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }


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
