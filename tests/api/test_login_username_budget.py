"""The per-username password budget is the budget of the account a login would reach: respelling
the name (spaces around it, full-width letters, another case) during a lockout neither resets the
budget nor signs in, on the login form, the admin's login and the token endpoint alike."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
FULLWIDTH = "\uff53\uff54\uff41\uff46\uff46\uff45\uff52"  # "staffer" in full-width letters


@pytest.fixture
def staffer():
    user = UserFactory(username="staffer", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def login_form(client, username, password):
    return client.post("/api/v4/api-auth/login/", {"username": username, "password": password})


def admin_login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def token(client, username, password):
    return client.post(
        "/api/v4/auth/token/", {"username": username, "password": password}, format="json"
    )


ATTEMPTS = [login_form, admin_login, token]
SPELLINGS = [" staffer", "staffer ", "\tstaffer\u3000", FULLWIDTH, f" {FULLWIDTH} ", "STAFFER"]


def lock_out(rates):
    rates(token="3/5min")
    for n in range(3):
        login_form(APIClient(REMOTE_ADDR=f"203.0.113.{n}"), "staffer", "wrong")


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("attempt", ATTEMPTS, ids=lambda a: a.__name__)
def test_a_respelled_username_during_a_lockout_is_refused(rates, staffer, attempt, spelling):
    lock_out(rates)
    client = APIClient(REMOTE_ADDR="198.51.100.9")

    refused = attempt(client, spelling, PASSWORD)

    assert refused.status_code == 429, refused.content[:300]
    assert "_auth_user_id" not in client.session
    assert not Token.objects.exists()


@pytest.mark.parametrize("spelling", [" staffer", FULLWIDTH])
def test_respelled_guesses_spend_the_account_budget(rates, staffer, spelling):
    rates(token="3/5min")
    for n in range(3):
        token(APIClient(REMOTE_ADDR=f"203.0.113.{n}"), spelling, "wrong")

    refused = login_form(APIClient(REMOTE_ADDR="198.51.100.9"), "staffer", PASSWORD)

    assert refused.status_code == 429


@pytest.mark.parametrize(
    ("attempt", "status"),
    [(login_form, 302), (admin_login, 302), (token, 200)],
    ids=["login_form", "admin_login", "token"],
)
def test_every_login_reads_a_full_width_username_as_the_login_form_does(staffer, attempt, status):
    client = APIClient()

    response = attempt(client, f" {FULLWIDTH} ", PASSWORD)

    assert response.status_code == status, response.content[:300]
    signed_in = client.session.get("_auth_user_id") == str(staffer.pk)
    assert signed_in or Token.objects.filter(user=staffer).exists()
