"""Password checks (the admin's login included) are throttled per address and per username, and
wrong or malformed tokens count against the address's anonymous budget (issue 16, 1 and 5)."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def curator():
    return UserFactory(username="curator", is_staff=True, is_superuser=True)


def admin_login(client, password):
    return client.post("/admin/login/?next=/admin/", {"username": "curator", "password": password})


def test_admin_login_is_throttled_and_the_right_password_then_fails_too(rates, curator):
    rates(token="3/5min")
    client = APIClient()

    wrong = [admin_login(client, "wrong").status_code for _ in range(3)]
    refused = admin_login(client, PASSWORD)

    assert wrong == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert "Too many login attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_admin_login_works_within_the_budget(rates, curator):
    rates(token="3/5min")
    client = APIClient()

    admin_login(client, "wrong")
    response = admin_login(client, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(curator.pk)


@pytest.mark.parametrize(
    "attempt",
    [
        lambda client, password: admin_login(client, password),
        lambda client, password: client.post(
            "/api/v4/api-auth/login/", {"username": "curator", "password": password}
        ),
        lambda client, password: client.post(
            "/api/v4/auth/token/", {"username": "curator", "password": password}, format="json"
        ),
    ],
    ids=["admin", "api-login-form", "token-endpoint"],
)
def test_guesses_spread_over_addresses_still_lock_the_username(rates, curator, attempt):
    rates(token="3/5min")
    for n in range(3):
        attempt(APIClient(REMOTE_ADDR=f"203.0.113.{n}"), "wrong")
    client = APIClient(REMOTE_ADDR="198.51.100.9")

    refused = attempt(client, PASSWORD)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session
    assert not Token.objects.exists()


def test_a_locked_username_does_not_lock_another(rates, curator):
    rates(token="3/5min")
    UserFactory(username="alice")
    for n in range(3):
        admin_login(APIClient(REMOTE_ADDR=f"203.0.113.{n}"), "wrong")

    response = APIClient(REMOTE_ADDR="198.51.100.9").post(
        "/api/v4/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200


@pytest.mark.parametrize("authorization", ["Token wrong-token", "Token a b", "Token", "token \x00"])
def test_wrong_or_malformed_tokens_are_throttled_per_address(
    rates, authorization, django_assert_num_queries
):
    rates(anon="2/min")
    client = APIClient(HTTP_AUTHORIZATION=authorization)

    codes = [client.get("/api/v4/categories/").status_code for _ in range(3)]
    with django_assert_num_queries(0):
        blocked = client.get("/api/v4/categories/")

    assert codes == [401, 401, 429]
    assert blocked.status_code == 429
    assert 1 <= int(blocked["Retry-After"]) <= 60
    assert blocked["Content-Type"] == "application/json"


def test_wrong_tokens_spend_the_same_budget_as_anonymous_reads(rates):
    rates(anon="2/min")
    APIClient().get("/api/v4/categories/")
    client = APIClient(HTTP_AUTHORIZATION="Token wrong-token")

    assert [client.get("/api/v4/categories/").status_code for _ in range(2)] == [401, 429]


def test_a_valid_token_is_not_counted_as_a_failure(rates):
    rates(anon="1/min")
    token = Token.objects.create(user=UserFactory(username="alice"))
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert [client.get("/api/v4/categories/").status_code for _ in range(3)] == [200] * 3


def test_a_valid_token_is_served_after_a_bad_one_from_the_same_address(rates):
    rates(anon="1/min")
    token = Token.objects.create(user=UserFactory(username="alice"))

    bad = [
        APIClient(HTTP_AUTHORIZATION=f"Token {'0' * 40}").get("/api/v4/categories/").status_code
        for _ in range(2)
    ]
    valid = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v4/categories/")

    assert bad == [401, 429]
    assert valid.status_code == 200


def test_a_valid_token_is_served_when_anonymous_traffic_spent_the_address_budget(rates):
    rates(anon="1/min")
    token = Token.objects.create(user=UserFactory(username="alice"))
    anonymous = [APIClient().get("/api/v4/categories/").status_code for _ in range(2)]

    valid = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get("/api/v4/categories/")

    assert anonymous == [200, 429]
    assert valid.status_code == 200


def test_a_repeated_bad_token_is_looked_up_once(rates, django_assert_num_queries):
    rates(anon="1/min burst=5")
    client = APIClient(HTTP_AUTHORIZATION=f"Token {'0' * 40}")
    assert client.get("/api/v4/categories/").status_code == 401

    with django_assert_num_queries(0):
        again = client.get("/api/v4/categories/")

    assert again.status_code == 401
