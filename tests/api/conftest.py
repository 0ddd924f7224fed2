"""API test fixtures: a fresh response cache per test, switched on as by default, and `rates`
to set throttle rates for one test."""

import pytest
from django.core.cache import cache

from api import caching
from api.caching import reset_local_entries
from tests.packages.conftest import fetch_settings, upstream  # noqa: F401  (the local fake)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_response_cache(settings, monkeypatch):
    """A fresh cache whose version is re-read only when a test asks (LOCAL_VERSION_SECONDS=0):
    query budgets count what a request costs, not the once-a-second version read, whose own
    cost test_reads_never_write pins."""
    settings.API_CACHE_SECONDS = 300
    monkeypatch.setattr(caching, "LOCAL_VERSION_SECONDS", 3600)
    cache.clear()
    reset_local_entries()
    yield
    cache.clear()
    reset_local_entries()


@pytest.fixture
def rates(settings):
    """Set some throttle rates for one test; the others keep their configured values."""

    def set_rates(**changes):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **changes,
            },
        }

    return set_rates
