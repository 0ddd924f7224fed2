"""Throttles: rate policies, which budget each request spends (anonymous, per user, creating,
password checks), and buckets refilling."""

import time

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from api.rate_limits import Policy, parse_policy
from tests.factories import CategoryFactory, UserFactory

PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize(
    ("rate", "policy"),
    [
        ("60/min", Policy(60, 1.0)),
        ("120/m", Policy(120, 2.0)),
        ("20/h", Policy(20, 20 / 3600)),
        ("20/hour", Policy(20, 20 / 3600)),
        ("10/5min", Policy(10, 10 / 300)),
        ("5/s", Policy(5, 5.0)),
        ("1000/day", Policy(1000, 1000 / 86400)),
        ("3/2minutes", Policy(3, 3 / 120)),
        ("20/s burst=1000", Policy(1000, 20.0)),
        ("20/s, burst = 1000", Policy(1000, 20.0)),
        ("1/min burst=1", Policy(1, 1 / 60)),
        ("", None),
        (None, None),
    ],
)
def test_rates_read_count_slash_period_and_a_burst(rate, policy):
    assert parse_policy(rate) == policy


@pytest.mark.parametrize(
    "rate",
    ["60", "x/min", "60/fortnight", "-1/min", "1/0.5min", "0/s", "5/s burst=0", "5/s burst"],
)
def test_a_malformed_rate_is_a_configuration_error(rate):
    with pytest.raises(ImproperlyConfigured, match="N/period"):
        parse_policy(rate)


def test_the_window_a_policy_advertises_is_the_time_to_fill_it():
    assert parse_policy("20/s burst=1000").window == 50
    assert parse_policy("10/5min").window == 300
    assert parse_policy("100/s burst=10").window == 1


def test_documented_defaults():
    assert django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": "20/s burst=1000",
        "user": "40/s burst=2000",
        "create": "20/h",
        "token": "10/5min",
        "usage": "30/min",
    }
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


@pytest.mark.django_db
def test_users_are_counted_per_user_and_apart_from_anonymous_clients(rates):
    rates(user="1/min burst=2", anon="1/min burst=1")
    clients = {}
    for name in ("alice", "bob"):
        token = Token.objects.create(user=UserFactory(username=name))
        clients[name] = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    alice_codes = [clients["alice"].get("/api/v4/grids/").status_code for _ in range(3)]
    bob = clients["bob"].get("/api/v4/grids/")
    anonymous_code = APIClient().get("/api/v4/grids/").status_code

    assert alice_codes == [200, 200, 429]
    assert bob.status_code == anonymous_code == 200
    assert bob["RateLimit-Policy"] == '"user";q=2;w=120'


@pytest.mark.django_db
def test_a_cached_response_still_counts_against_the_anonymous_rate(rates):
    rates(anon="1/min burst=2")
    client = APIClient()

    codes = [client.get("/api/v4/grids/").status_code for _ in range(3)]

    assert codes == [200, 200, 429]


@pytest.mark.django_db
def test_creating_packages_and_grids_has_its_own_budget(rates):
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
    assert 1795 <= int(third["Retry-After"]) <= 1800  # 2 an hour: the next one in half an hour
    assert '"create";r=0' in third["RateLimit"]
    assert edit.status_code == 200


@pytest.mark.django_db
def test_a_refusal_by_one_scope_spends_none_of_the_others(rates):
    rates(user="1/min burst=10", create="1/h")
    CategoryFactory(slug="apps")
    client = APIClient()
    client.force_authenticate(UserFactory(username="maker"))

    client.post("/api/v4/packages/", {"title": "a", "category": "apps"}, format="json")
    refused = client.post("/api/v4/packages/", {"title": "b", "category": "apps"}, format="json")

    assert refused.status_code == 429
    assert '"user";r=9' in refused["RateLimit"]


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
    assert 145 <= int(refused["Retry-After"]) <= 150  # one guess every 150 s
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
    assert 1 <= int(refused["Retry-After"]) <= 150
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_odd_forwarded_addresses_make_clean_keys(rates, settings):
    rates(anon="1/min burst=1")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client = APIClient()
    odd = "x" * 300 + " \u00e9\u202e"

    first = client.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=odd)
    second = client.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=odd)

    assert (first.status_code, second.status_code) == (200, 429)


@pytest.mark.django_db
def test_a_bucket_refills_at_its_rate(rates):
    rates(anon="1/s burst=1")
    client = APIClient()

    first = client.get("/api/v4/categories/").status_code
    second = client.get("/api/v4/categories/").status_code
    time.sleep(1.05)
    later = client.get("/api/v4/categories/").status_code

    assert (first, second, later) == (200, 429, 200)


@pytest.mark.django_db
def test_an_unset_rate_does_not_throttle(rates):
    rates(anon="")
    client = APIClient()

    responses = [client.get("/api/v4/categories/") for _ in range(5)]

    assert {response.status_code for response in responses} == {200}
    assert "RateLimit" not in responses[-1]
