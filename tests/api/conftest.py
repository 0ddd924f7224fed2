"""API test fixtures: a fresh cache (throttle buckets) per test, and `rates` to set throttle
rates for one test."""

import pytest
from django.core.cache import cache

from tests.packages.conftest import fetch_settings, upstream  # noqa: F401  (the local fake)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


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
