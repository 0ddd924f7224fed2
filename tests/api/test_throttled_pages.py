"""Feeds, badges and pages count against the same budgets as API requests; /healthz does not
(a load balancer must never be refused), and a flood of it reaches the database at most a few
times a second."""

import time

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import GridFactory, PackageFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("/feeds/packages.atom", 200),
        ("/feeds/releases.atom", 200),
        ("/api/v4/packages/django-widgets/badge.svg", 200),
        ("/packages/p/django-widgets/", 302),
        ("/grids/g/widgets/", 302),
        ("/api/v4/api-auth/login/", 200),
        ("/admin/login/", 200),
    ],
)
def test_feeds_badges_and_pages_are_throttled(rates, path, served):
    rates(anon="1/min burst=2")
    PackageFactory(slug="django-widgets")
    GridFactory(slug="widgets")
    client = APIClient()

    codes = [client.get(path).status_code for _ in range(3)]
    refused = client.get(path)

    assert codes == [served, served, 429]
    assert refused.json()["detail"].startswith("Request was throttled.")
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Remaining"] == "0"


def test_the_api_docs_page_is_throttled_like_the_api(rates):
    rates(anon="1/min burst=1")
    client = APIClient()

    first = client.get("/api/v4/docs/")
    refused = client.get("/api/v4/docs/")

    assert (first.status_code, refused.status_code) == (200, 429)
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_pages_and_the_api_share_one_budget(rates):
    rates(anon="1/min burst=2")
    PackageFactory(slug="django-widgets")
    client = APIClient()

    feed = client.get("/feeds/packages.atom")
    badge = client.get("/api/v4/packages/django-widgets/badge.svg")
    api = client.get("/api/v4/categories/")

    assert (feed.status_code, badge.status_code, api.status_code) == (200, 200, 429)


def test_a_signed_in_curator_pages_count_against_their_own_budget(rates):
    rates(anon="1/min burst=1", user="1/min burst=3")
    client = APIClient()
    client.force_login(UserFactory(username="curator", is_staff=True, is_superuser=True))
    APIClient().get("/feeds/packages.atom")  # the address's anonymous budget is spent

    codes = [client.get("/feeds/packages.atom").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


def test_a_token_on_a_plain_page_is_identified_as_the_api_identifies_it(rates):
    rates(anon="1/min burst=1", user="1/min burst=2")
    token = Token.objects.create(user=UserFactory(username="alice"))
    APIClient().get("/feeds/packages.atom")  # the address's anonymous budget is spent
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    codes = [client.get("/feeds/packages.atom").status_code for _ in range(3)]
    wrong = APIClient(HTTP_AUTHORIZATION=f"Token {'0' * 40}").get("/feeds/packages.atom")

    assert codes == [200, 200, 429]
    assert wrong.status_code == 429  # a wrong token spends the spent anonymous budget
    assert wrong.json()["detail"].startswith("Request was throttled.")


def test_a_wrong_token_on_a_plain_page_is_a_401(rates):
    response = APIClient(HTTP_AUTHORIZATION="Token nope").get("/feeds/packages.atom")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Invalid token."}
    assert response["X-RateLimit-Remaining"] == "999"


def test_healthz_is_never_throttled(rates):
    rates(anon="1/min burst=1")
    client = APIClient()

    codes = {client.get("/healthz").status_code for _ in range(20)}

    assert codes == {200}


def test_a_flood_of_healthz_asks_the_database_ten_times_then_twice_a_second():
    client = APIClient()

    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        for _ in range(60):
            assert client.get("/healthz").status_code == 200
    seconds = time.monotonic() - started

    probes = len([q for q in queries.captured_queries if "SELECT 1" in q["sql"]])
    assert 10 <= probes <= 10 + 2 * seconds + 1


def test_healthz_answers_live_while_asked_at_a_health_checker_pace(monkeypatch):
    client = APIClient()
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("api.site_views.connection.cursor", broken_cursor)

    assert client.get("/healthz").status_code == 503


@pytest.mark.parametrize("path", ["/no-such-page/", "/api/v4/no-such-resource/"])
def test_requests_for_unknown_urls_count_too(rates, path):
    rates(anon="1/min burst=2")
    client = APIClient()

    codes = [client.get(path).status_code for _ in range(3)]

    assert codes == [404, 404, 429]


def test_a_basic_authorization_header_on_a_page_is_not_a_token(rates):
    rates(anon="1/min burst=5")

    response = APIClient(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz").get("/feeds/packages.atom")

    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "4"


def test_a_signed_in_curator_behind_basic_auth_stays_signed_in(rates):
    rates(user="1/min burst=5")
    client = APIClient(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    client.force_login(UserFactory(username="curator", is_staff=True, is_superuser=True))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert response["RateLimit-Policy"] == '"user";q=5;w=300'
