"""Throttles as token buckets on default settings: a client walks the catalogue at full speed
without a 429, a flood is refused with an honest, short `Retry-After`, and every throttled
response says its limit (`X-RateLimit-*`, IETF `RateLimit` / `RateLimit-Policy`)."""

import time
from collections import Counter

import pytest
from rest_framework.test import APIClient

from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


def test_a_client_walks_700_urls_back_to_back_on_default_settings():
    client = APIClient()

    codes = Counter(client.get("/api/v4/categories/").status_code for _ in range(700))

    assert codes == {200: 700}


def test_a_flood_is_refused_and_retry_after_is_the_real_wait(rates):
    rates(anon="1/2s burst=20")
    client = APIClient()

    codes = [client.get("/api/v4/categories/").status_code for _ in range(25)]
    refused = client.get("/api/v4/categories/")
    wait = int(refused["Retry-After"])
    time.sleep(wait)
    after_waiting = client.get("/api/v4/categories/")

    assert codes == [200] * 20 + [429] * 5
    assert refused.status_code == 429
    assert wait in (1, 2)  # a token every 2 s, rounded up to whole seconds
    seconds = "second" if wait == 1 else "seconds"
    detail = f"Request was throttled. Expected available in {wait} {seconds}."
    assert refused.json() == {"detail": detail}
    assert after_waiting.status_code == 200


def test_the_default_anonymous_flood_waits_a_few_seconds_at_most():
    client = APIClient()

    started, served = time.monotonic(), 0
    while (response := client.get("/api/v4/categories/")).status_code == 200 and served < 5000:
        served += 1
    seconds = time.monotonic() - started

    # The burst of 1,000 and the 20 a second regained meanwhile were served; then a refusal.
    assert 1000 <= served <= 1000 + 20 * seconds + 1
    assert response.status_code == 429
    assert response["Retry-After"] == "1"


def test_a_refused_request_spends_nothing(rates):
    rates(anon="1/min burst=2")
    client = APIClient()

    codes = [client.get("/api/v4/categories/").status_code for _ in range(6)]
    refused = client.get("/api/v4/categories/")

    assert codes == [200, 200, 429, 429, 429, 429]
    assert 59 <= int(refused["Retry-After"]) <= 60  # the next token, not one per refusal


def test_every_response_says_the_policy_and_what_remains(rates):
    rates(anon="1/min burst=10")
    client = APIClient()

    first = client.get("/api/v4/categories/")
    second = client.get("/api/v4/categories/")

    assert first.status_code == 200
    assert first["X-RateLimit-Limit"] == "10"
    assert first["X-RateLimit-Remaining"] == "9"
    assert 59 < int(first["X-RateLimit-Reset"]) - time.time() <= 61  # full in a minute
    assert first["RateLimit-Policy"] == '"anon";q=10;w=600'
    assert first["RateLimit"] == '"anon";r=9;t=60'
    assert second["X-RateLimit-Remaining"] == "8"
    assert "Retry-After" not in first


def test_a_refusal_carries_the_headers_and_a_json_body(rates):
    rates(anon="1/min burst=1")
    client = APIClient()
    client.get("/api/v4/categories/")

    refused = client.get("/api/v4/categories/")

    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    assert refused["X-RateLimit-Remaining"] == "0"
    assert refused["RateLimit"] == f'"anon";r=0;t={refused["Retry-After"]}'
    assert 59 <= int(refused["Retry-After"]) <= 60


def test_an_uncached_search_costs_more_than_a_read(rates):
    rates(anon="1/min burst=100")
    PackageFactory(title="django-widgets")
    client = APIClient()

    read = client.get("/api/v4/categories/")
    search = client.get("/api/v4/search/", {"q": "widgets"})

    assert read["X-RateLimit-Remaining"] == "99"
    assert search["X-RateLimit-Remaining"] == "97"
